import type {
  ClientEngine,
  ClientEngineOptions,
  ServerClient,
  ServerEngine,
  ServerEngineOptions,
} from '../engine/api.js';

/** The engine as the daemons use it: injected, so tests and benchmarks can wrap or replace the factories. */
export type ControllableClientEngine = ClientEngine;
export type ControllableServerEngine = ServerEngine;
export type EngineClientSpec = ServerClient;

export interface EngineFactories {
  createClientEngine(options: ClientEngineOptions): ClientEngine;
  createServerEngine(options: ServerEngineOptions): ServerEngine;
  /** Bytes the engine adds per data packet on top of UDP; io/mtu.ts has the fallback. */
  overhead?: number;
}
