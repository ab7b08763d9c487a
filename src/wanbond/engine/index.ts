import type { ClientEngine, ClientEngineOptions, ServerEngine, ServerEngineOptions } from './api.js';
import { Client } from './client.js';
import { Server } from './server.js';

export type * from './api.js';
export { DATA_OVERHEAD } from './constants.js';

/** The router's engine. Throws a clear error for malformed keys or path ids. */
export function createClientEngine(opts: ClientEngineOptions): ClientEngine {
  return new Client(opts);
}

/** The server's engine. Throws a clear error for an invalid client list. */
export function createServerEngine(opts: ServerEngineOptions): ServerEngine {
  return new Server(opts);
}
