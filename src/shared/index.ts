export * from './errors.ts';
export * from './clock.ts';
export * from './clone.ts';
export * from './ids.ts';
export * from './logger.ts';
export * from './serial-queue.ts';
export * from './typed-emitter.ts';
export * from './ssrf-guard.ts';
