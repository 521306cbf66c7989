export * from './stream-audio.ts';
export * from './stream-messages.ts';
export * from './playout-queue.ts';
export * from './stream-end.ts';
export * from './stream-options.ts';
export * from './stream-client.ts';
