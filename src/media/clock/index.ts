export * from './media-clock.ts';
