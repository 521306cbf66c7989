export * from './wav-format.ts';
export * from './wav-writer.ts';
export * from './repair-wav.ts';
export * from './leg-recorder.ts';
