/** The wanbond config schema: UCI text (via uci-parser) -> typed, validated RouterConfig / ServerConfig. */
export { ConfigError } from './errors.js';
export { loadRouterConfig, parseRouterConfig } from './router.js';
export { loadServerConfig, parseServerConfig } from './server.js';
export type * from './types.js';
