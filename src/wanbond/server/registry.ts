import type { ClientConfig, ServerConfig } from '../config/types.js';
import type { ServerLimits } from '../engine/api.js';
import { decodeKey } from '../engine/keys.js';
import { parseCidr } from '../io/addr.js';
import type { EngineClientSpec } from '../io/engine-factory.js';

/** `max_clients` and `max_buffer_mb` as the engine takes them; absent options keep the engine's defaults. */
export function engineLimits(config: ServerConfig): ServerLimits {
  const limits: ServerLimits = {};
  if (config.maxClients !== undefined) limits.maxClients = config.maxClients;
  if (config.maxBufferMb !== undefined) limits.bufferBudgetBytes = config.maxBufferMb * 2 ** 20;
  return limits;
}

/**
 * The engine's view of the configured routers: who may connect (public key) and which inner addresses belong to
 * whom (tunnel addresses plus routed LAN prefixes), so a packet from the TUN finds its session and a router cannot
 * send with another one's source address. Throws on the first client whose entry is unusable, naming it.
 */
export function engineClients(config: ServerConfig): EngineClientSpec[] {
  const seenKeys = new Map<string, string>();
  return config.clients.map((c) => {
    const publicKey = decodeKey(c.publicKey, `public_key of client '${c.name}'`);
    const other = seenKeys.get(c.publicKey.trim());
    if (other !== undefined) throw new Error(`clients '${other}' and '${c.name}' have the same public_key`);
    seenKeys.set(c.publicKey.trim(), c.name);
    return { name: c.name, publicKey, addresses: clientAddresses(c), routes: clientRoutes(c) };
  });
}

export function clientAddresses(c: ClientConfig): string[] {
  const out = [parseCidr(c.address, `address of client '${c.name}'`).address];
  if (c.address6) out.push(parseCidr(c.address6, `address6 of client '${c.name}'`).address);
  return out;
}

/** LAN prefixes in canonical `addr/len` form (a bare address is a host route). */
export function clientRoutes(c: ClientConfig): string[] {
  return c.routes.map((r) => {
    const cidr = parseCidr(r, `route of client '${c.name}'`);
    return `${cidr.address}/${cidr.prefix}`;
  });
}

/** Every prefix the server routes into its TUN: all clients' LAN subnets (tunnel addresses are on-link). */
export function routedPrefixes(config: ServerConfig): string[] {
  return [...new Set(config.clients.flatMap(clientRoutes))];
}
