export { buildServer, type MojiServer } from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
