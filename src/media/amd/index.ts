export { AmdDetector, DEFAULT_AMD_SETTINGS } from './amd-detector.ts';
export type { AmdResult, AmdSettings } from './amd-detector.ts';
