/**
 * Maps the engine's SessionStats plus link config into the documented `status` reply, so a daemon only passes
 * what it has. Engine times are on a monotonic clock (`now`); replies carry epoch seconds, so `wallNow` (Date.now())
 * taken at the same moment converts them. Nothing secret is an input here.
 */
import type { LinkConfig, PolicyConfig } from '../config/types.js';
import type { PathStats, ServerStats, SessionStats } from '../engine/api.js';
import type { LinkReply, LinkStateName, PolicyReply, StatusReply, TotalsReply } from './types.js';

/** What the daemon knows about a link beyond its config (resolved device/source, socket errors). */
export interface LinkRuntime {
  device?: string | undefined;
  source?: string | undefined;
  pathId?: number | undefined;
  /** False when the link has no bound socket (e.g. its interface is down). */
  bound?: boolean | undefined;
  error?: string | undefined;
}

export interface BuildStatusInput {
  role?: 'router' | 'server';
  stats: SessionStats;
  links: LinkConfig[];
  runtime?: Record<string, LinkRuntime>;
  server: string;
  port: number;
  mode?: string;
  enabled?: boolean;
  tunnel?: { device?: string; addresses?: string[]; mtu?: number };
  /** The server's resolved addresses, IPv4 first (router): the first IPv4 one is `tunnel.public_address`. */
  serverAddresses?: string[];
  /** Monotonic clock of the engine (the one `stats` times are on). */
  now: number;
  /** Date.now() taken together with `now`. */
  wallNow: number;
}

function epochSeconds(mono: number | undefined, input: { now: number; wallNow: number }): number | undefined {
  if (mono === undefined || !Number.isFinite(mono)) return undefined;
  return Math.round((input.wallNow - (input.now - mono)) / 1000);
}

function round(v: number | undefined, digits: number): number | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function clampFraction(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** Drops undefined members so both JSON and blobmsg replies simply leave them out. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function linkReply(
  config: LinkConfig,
  path: PathStats | undefined,
  runtime: LinkRuntime | undefined,
  clock: { now: number; wallNow: number },
): LinkReply {
  let state: LinkStateName;
  if (!config.enabled) state = 'disabled';
  // No socket (netifd has not brought the WAN up yet, or binding failed): whatever the engine's path says, the
  // link carries nothing, and "probing" would suggest it is being tried.
  else if (!path || runtime?.bound === false) state = 'down';
  else state = path.state;
  return compact({
    name: config.name,
    interface: config.interface,
    device: runtime?.device ?? config.device,
    source: runtime?.source ?? config.source ?? path?.address,
    backup: config.backup,
    state,
    path_id: path?.pathId ?? runtime?.pathId,
    rtt_ms: round(path?.rttMs, 2),
    loss: round(clampFraction(path?.loss ?? 0), 4) ?? 0,
    share: round(clampFraction(path?.share ?? 0), 4) ?? 0,
    capacity_up_kbit: round(path?.capacityUpKbit, 0),
    capacity_down_kbit: round(path?.capacityDownKbit, 0),
    tx_bytes: path?.txBytes ?? 0,
    rx_bytes: path?.rxBytes ?? 0,
    tx_packets: path?.txPackets ?? 0,
    rx_packets: path?.rxPackets ?? 0,
    last_change: path ? epochSeconds(path.lastChange, clock) : undefined,
    error: runtime?.error ?? (runtime?.bound === false && config.enabled ? 'not bound' : undefined),
  });
}

/** Links in config order; a path the engine reports that config no longer has is left out. */
export function buildLinks(
  input: Pick<BuildStatusInput, 'stats' | 'links' | 'runtime' | 'now' | 'wallNow'>,
): LinkReply[] {
  const byName = new Map(input.stats.paths.map((p) => [p.name, p]));
  const byId = new Map(input.stats.paths.map((p) => [p.pathId, p]));
  return input.links.map((l) => {
    const rt = input.runtime?.[l.name];
    const path = byName.get(l.name) ?? (rt?.pathId !== undefined ? byId.get(rt.pathId) : undefined);
    return linkReply(l, path, rt, input);
  });
}

function sumDefined(values: (number | undefined)[]): number | undefined {
  const d = values.filter((v): v is number => v !== undefined);
  return d.length > 0 ? d.reduce((a, b) => a + b, 0) : undefined;
}

/**
 * Where the internet sees the bonded traffic come from: the VPS masquerades it behind the address the links reach
 * it on. IPv4 first, because IPv4 traffic leaves with the server's IPv4 address whatever family the links use.
 */
function publicAddress(addresses: string[] | undefined): string | undefined {
  return addresses?.find((a) => !a.includes(':')) ?? addresses?.[0];
}

export function buildStatus(input: BuildStatusInput): StatusReply {
  const links = buildLinks(input);
  const s = input.stats;
  const up = links.filter((l) => l.state === 'up');
  const established = s.state === 'established' && s.establishedAt !== undefined;
  const totals: TotalsReply = compact({
    tx_bytes: s.txBytes,
    rx_bytes: s.rxBytes,
    links: links.length,
    links_up: up.length,
    capacity_up_kbit: sumDefined(up.map((l) => l.capacity_up_kbit)),
    capacity_down_kbit: sumDefined(up.map((l) => l.capacity_down_kbit)),
  });
  const addresses = input.tunnel?.addresses;
  return {
    role: input.role ?? 'router',
    state: input.enabled === false ? 'disabled' : s.state,
    server: input.server,
    port: input.port,
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    uptime: established ? Math.max(0, Math.floor((input.now - s.establishedAt!) / 1000)) : 0,
    tunnel: compact({
      public_address: publicAddress(input.serverAddresses),
      device: input.tunnel?.device,
      address: addresses?.[0],
      addresses,
      mtu: input.tunnel?.mtu,
      established_at: established ? epochSeconds(s.establishedAt, input) : undefined,
      handshakes: s.handshakes,
      reorder_depth: s.reorderDepth,
      hold_ms: round(s.holdMs, 2),
      resent_packets: s.resentPackets,
      duplicate_packets: s.duplicatePackets,
      late_delivered: s.lateDelivered,
      duplicates_sent: s.duplicatesSent,
      skipped_packets: s.skippedPackets,
      duplicate_overhead: round(s.duplicateOverhead, 4),
      bonded_of_estimates: round(s.bondedOfEstimates, 3),
    }),
    links,
    totals,
  };
}

export function buildPolicies(policies: PolicyConfig[]): PolicyReply[] {
  return policies.map((p) => ({ name: p.name, mode: p.mode, use_links: [...p.useLinks] }));
}

export interface BuildServerStatusInput {
  stats: ServerStats;
  listen: string;
  port: number;
  tunnel?: { device?: string; addresses?: string[]; mtu?: number };
  /** Monotonic clock value when the server started (same clock as `now`). */
  startedAt: number;
  now: number;
  wallNow: number;
}

/** A router as the server sees it: its session and one entry per path (remote address as `source`). */
export interface ServerClientReply {
  name: string;
  public_key: string;
  tunnel_address: string;
  state: string;
  uptime: number;
  links: LinkReply[];
  tx_bytes: number;
  rx_bytes: number;
}

/** `status` of `wanbond server`: the same top-level shape (links empty), plus one entry per client. */
export function buildServerStatus(input: BuildServerStatusInput): StatusReply & { clients: ServerClientReply[] } {
  const clients = input.stats.clients.map((c): ServerClientReply => {
    const s = c.session;
    const established = s.state === 'established' && s.establishedAt !== undefined;
    return {
      name: c.name,
      public_key: c.publicKey,
      tunnel_address: c.tunnelAddress,
      state: s.state,
      uptime: established ? Math.max(0, Math.floor((input.now - s.establishedAt!) / 1000)) : 0,
      links: s.paths.map((p) =>
        linkReply({ name: p.name, enabled: true, backup: false }, p, { source: p.address }, input),
      ),
      tx_bytes: s.txBytes,
      rx_bytes: s.rxBytes,
    };
  });
  const addresses = input.tunnel?.addresses;
  return {
    role: 'server',
    state: 'running',
    server: input.listen,
    port: input.port,
    uptime: Math.max(0, Math.floor((input.now - input.startedAt) / 1000)),
    tunnel: compact({
      device: input.tunnel?.device,
      address: addresses?.[0],
      addresses,
      mtu: input.tunnel?.mtu,
      reorder_depth: 0,
      resent_packets: 0,
      duplicate_packets: 0,
    }),
    links: [],
    totals: {
      tx_bytes: clients.reduce((a, c) => a + c.tx_bytes, 0),
      rx_bytes: clients.reduce((a, c) => a + c.rx_bytes, 0),
      links: clients.reduce((a, c) => a + c.links.length, 0),
      links_up: clients.reduce((a, c) => a + c.links.filter((l) => l.state === 'up').length, 0),
    },
    clients,
  };
}
