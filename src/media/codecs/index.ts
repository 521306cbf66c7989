export * from './g711.ts';
export * from './audio-codec.ts';
export * from './g711-codec.ts';
export * from './opus-codec.ts';
