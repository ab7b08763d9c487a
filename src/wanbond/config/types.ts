/**
 * Typed configuration after UCI parsing and validation (see README "Configuration"). The daemons read only these
 * shapes; `load*Config` turns a UCI file into them or throws a ConfigError naming file:line.
 */
import type { Mode } from '../engine/api.js';
import type { PolicyConfig, RuleConfig } from '../engine/classify-types.js';

export interface LinkConfig {
  name: string;
  /** netifd interface (OpenWrt); resolved to device + source at run time. */
  interface?: string;
  /** Linux device and local address to bind the link's UDP socket to (any Linux host). */
  device?: string;
  source?: string;
  enabled: boolean;
  backup: boolean;
}

// `config policy` and `config rule` as the engine's classifier reads them: one definition, owned by the engine,
// because config may depend on the engine but not the reverse.
export type { PolicyConfig, RuleConfig };

export interface RouterConfig {
  file: string;
  enabled: boolean;
  server: string;
  port: number;
  privateKey: string;
  serverKey: string;
  mode: Mode;
  /** The router's tunnel address with prefix, e.g. 10.255.0.2/24 (from pairing). */
  address?: string;
  /** Optional IPv6 tunnel address with prefix, e.g. fd00:ffff::2/64. */
  address6?: string;
  tunName: string;
  mtu?: number;
  fallback: 'direct' | 'block';
  links: LinkConfig[];
  policies: PolicyConfig[];
  rules: RuleConfig[];
}

export interface ForwardConfig {
  proto: 'tcp' | 'udp';
  publicPort: number;
  host: string;
  port: number;
}

export interface ClientConfig {
  name: string;
  publicKey: string;
  address: string;
  address6?: string;
  routes: string[];
  forwards: ForwardConfig[];
  /** Cap on this client's traffic through the VPS, each direction, in kbit/s (nft limit on the forward path). */
  rateLimitKbit?: number;
}

export interface ServerConfig {
  file: string;
  listen: string;
  port: number;
  privateKey: string;
  /** Server tunnel address with prefix, e.g. 10.255.0.1/24; its subnet is the client pool. */
  address: string;
  address6?: string;
  masquerade: boolean;
  wanDevice?: string;
  tunName: string;
  mtu?: number;
  /** Routers with a session at once (`max_clients`); the engine's default (256) when absent. */
  maxClients?: number;
  /** Bytes all sessions may hold in reorder buffers and queues, MiB (`max_buffer_mb`); default 256. */
  maxBufferMb?: number;
  clients: ClientConfig[];
}
