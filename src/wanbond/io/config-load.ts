import { loadRouterConfig, loadServerConfig } from '../config/index.js';
import type { RouterConfigLoader, ServerConfigLoader } from './config-source.js';

/**
 * THE place the daemons get their config from (config/ on uci-parser): `{ config, warnings }`, or a ConfigError
 * whose message names file:line. Daemons take these as injected loaders, so tests can hand them others.
 */
export const loadRouterConfigFile: RouterConfigLoader = loadRouterConfig;
export const loadServerConfigFile: ServerConfigLoader = loadServerConfig;
