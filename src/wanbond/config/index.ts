/** The wanbond config schema: UCI text (via uci-parser) -> typed, validated RouterConfig / ServerConfig. */
export { ConfigError } from './errors.js';
export {
  DEFAULT_PORT,
  DEFAULT_TUN,
  type LoadedConfig,
  loadRouterConfig,
  MODES,
  MTU_MAX,
  MTU_MIN,
  type ParseOptions,
  parseRouterConfig,
} from './router.js';
export { loadServerConfig, parseServerConfig } from './server.js';
export type * from './types.js';
