export { loadConfig, DEFAULT_CONFIG, ConfigSchema, allowedPrivateTargets, type Config } from './config.ts';
