export * from './mixer.ts';
