export * from './audio-source.ts';
export * from './jitter-buffer.ts';
export * from './audio-receiver.ts';
export * from './audio-sender.ts';
