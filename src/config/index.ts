export { loadConfig, DEFAULT_CONFIG, ConfigSchema, type Config } from './config.ts';
