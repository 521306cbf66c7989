export {
  loadConfig,
  DEFAULT_CONFIG,
  ConfigSchema,
  allowedPrivateTargets,
  testNumbersEnabled,
  type Config,
} from './config.ts';
