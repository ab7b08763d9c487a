import type { RouterConfig, ServerConfig } from '../config/types.js';

/** A loaded config and the non-fatal remarks the loader made about it (logged, one line each). */
export interface Loaded<T> {
  config: T;
  warnings: string[];
}

export type RouterConfigLoader = (file: string) => Promise<Loaded<RouterConfig>>;
export type ServerConfigLoader = (file: string) => Promise<Loaded<ServerConfig>>;
