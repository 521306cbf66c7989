export * from './g711.ts';
export * from './g711-codec.ts';
