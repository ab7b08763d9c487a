/**
 * The sans-IO contract between the bonding engine and its I/O adapters. The engine never reads a clock, opens a
 * socket or arms a timer: adapters feed it events stamped with `now` (milliseconds on a monotonic clock, e.g.
 * performance.now()) and drain its effects. Tests drive the same objects with a virtual clock.
 */

import type { Timing } from './constants.js';

/** A path is one WAN link of a session; the router numbers its links 0..n-1 in config order. */
export type PathId = number;

export type PathChange = 'up' | 'down' | 'address';

export type Mode = 'bond' | 'redundant' | 'failover' | 'direct';

/**
 * A set of path ids as a bit mask: bit `i` stands for path id `i` (ids 0..31 can be named; a path with a higher
 * id is never in a mask). See scheduler.ts `pathMask`.
 */
export type PathMask = number;

/**
 * What the `classify` hook may return instead of a bare mode: the mode plus the paths allowed to carry the packet
 * (a policy's `use_link`). When none of them is up the packet takes any up path (counted in
 * `SessionStats.restrictedFallbacks`). Return the same frozen object for every packet of a policy: no allocation.
 */
export interface PathChoice {
  readonly mode: Mode;
  readonly paths: PathMask;
}

/** Router side: one session to one server over several local links. */
export interface ClientEngine {
  onDatagram(pathId: PathId, bytes: Uint8Array, now: number): void;
  /** `packet` may be a view into a buffer the adapter reuses after the call returns: copy what you keep. */
  onTunPacket(packet: Uint8Array, now: number): void;
  onTimer(now: number): void;
  onPathChange(pathId: PathId, change: PathChange, now: number): void;
  /** One datagram to send on the given link's socket, to the server's address; undefined when drained. */
  pollTransmit(): { pathId: PathId; bytes: Uint8Array } | undefined;
  /** One IP packet for the TUN device; undefined when drained. */
  pollDeliver(): Uint8Array | undefined;
  /** When onTimer wants to run next (same clock as `now`); undefined when nothing is scheduled. */
  nextTimer(): number | undefined;
  stats(): SessionStats;
  /** Adds a link (or renames it); it is probed and carries data once it answers. */
  addPath(pathId: PathId, name: string): void;
  /** Closes a link: the server is told, its in-flight packets move to the other links. */
  removePath(pathId: PathId): void;
  /** Session-wide default mode (packets the `classify` hook does not decide). */
  setMode(mode: Mode): void;
  /**
   * Pins the session to one path, both directions (the speed test measures a link alone): our data goes only on
   * that path, and a PIN frame tells the server to do the same (refreshed while pinned; the server's pin lapses
   * by itself if the refreshes stop). Traffic whose policy excludes the path keeps its policy's paths. A pinned
   * path that is not up is not used (traffic falls back to the others). `undefined` unpins.
   */
  pinPath(pathId: PathId | undefined, now: number): void;
}

/**
 * Server side: one UDP port for every client and path. Addresses are opaque strings the adapter understands
 * (`ip:port`, `[v6]:port`); the engine replies to the latest address a path authenticated from, so a WAN whose
 * address changes keeps working.
 */
export interface ServerEngine {
  onDatagram(from: string, bytes: Uint8Array, now: number): void;
  onTunPacket(packet: Uint8Array, now: number): void;
  onTimer(now: number): void;
  pollTransmit(): { to: string; bytes: Uint8Array } | undefined;
  pollDeliver(): Uint8Array | undefined;
  nextTimer(): number | undefined;
  stats(): ServerStats;
  /**
   * Replaces the client registry (config reload). Clients whose public key is unchanged keep their session;
   * removed ones are dropped. Throws (changing nothing) when an entry is invalid.
   */
  setClients(clients: ServerClient[]): void;
  /** Changes the server-wide limits (config reload); sessions over a lowered cap go on, new ones wait. */
  setLimits(limits: ServerLimits): void;
}

/** Server-wide resource limits (docs/limits.md); an absent field keeps its default. */
export interface ServerLimits {
  /** Routers with a session at once (established or handshaking); default 256. */
  maxClients?: number;
  /** Bytes of inner packets held by all reorder buffers and ingress queues together; default 256 MiB. */
  bufferBudgetBytes?: number;
}

/** One router the server accepts, by its static public key (raw 32 bytes). */
export interface ServerClient {
  name: string;
  publicKey: Uint8Array;
  /** Its tunnel addresses, host addresses (`10.255.0.2`, `fd00::2`; a `/len` suffix is accepted). */
  addresses: string[];
  /** CIDRs behind it (its LAN subnets): the server routes them to it and accepts them as sources from it. */
  routes: string[];
}

/** Overrides of protocol timers (tests shorten them); see constants.ts for the fields and defaults. */
export type TimingOverrides = Partial<Timing>;

export interface ClientEngineOptions {
  privateKey: Uint8Array;
  serverPublicKey: Uint8Array;
  paths: Array<{ id: PathId; name: string }>;
  mode: Mode;
  now: number;
  /** Source of randomness (ephemeral keys, indices); defaults to crypto.randomBytes. */
  random?: (n: number) => Uint8Array;
  /**
   * Per-packet mode (policy rules), optionally with the paths allowed to carry the packet; the default mode and
   * every path apply when absent. 'direct' is sent as 'failover'.
   */
  classify?: (packet: Uint8Array) => Mode | PathChoice;
  timing?: TimingOverrides;
}

export interface ServerEngineOptions {
  privateKey: Uint8Array;
  clients: ServerClient[];
  now: number;
  random?: (n: number) => Uint8Array;
  timing?: TimingOverrides;
  limits?: ServerLimits;
}

export type PathState = 'down' | 'probing' | 'up' | 'suspect';

export interface PathStats {
  pathId: PathId;
  name: string;
  state: PathState;
  rttMs: number | undefined;
  /** Fraction 0..1 of packets lost on this path recently. */
  loss: number;
  capacityUpKbit: number | undefined;
  capacityDownKbit: number | undefined;
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
  /** Fraction 0..1 of the session's data bytes sent on this path recently. */
  share: number;
  /** `now` of the last state change. */
  lastChange: number;
  /** Latest authenticated remote address (server side) or local source (client side), if known. */
  address?: string;
  /** Relative one-way delay of our sending direction (common unknown offset: compare paths, not absolutes). */
  owdMs?: number;
  cwndBytes?: number;
  inflightBytes?: number;
  /** Queueing delay the path shows now (latest RTT above its floor), ms. */
  queueDelayMs?: number;
  /** Taken off new traffic for now: silent with data out, or its queue far too deep (its packets were copied). */
  stalled?: boolean;
  /** Times the path stalled and its in-flight packets were copied to the others. */
  rescues?: number;
}

export interface SessionStats {
  state: 'idle' | 'handshaking' | 'established';
  establishedAt: number | undefined;
  paths: PathStats[];
  reorderDepth: number;
  resentPackets: number;
  duplicatePackets: number;
  txBytes: number;
  rxBytes: number;
  /** Completed handshakes (the first one and every rekey). */
  handshakes?: number;
  /** Current reorder hold time, ms. */
  holdMs?: number;
  /** Packets delivered after their gap had been skipped. */
  lateDelivered?: number;
  /** Extra copies sent by redundant mode. */
  duplicatesSent?: number;
  /** Packets from TUN dropped by the ingress queue (too long a wait, or full): the inner TCP sees a loss. */
  queueDropped?: number;
  /** Packets waiting in the ingress queue now. */
  queuedPackets?: number;
  /** Holes the reorder buffer gave up on (the inner TCP saw them as losses). */
  skippedPackets?: number;
  /** Extra data copies (re-sends after a loss or a stall, redundant-mode copies) / data packets sent, recently. */
  duplicateOverhead?: number;
  /** Data sent recently, kbit/s (own sending direction). */
  sendRateKbit?: number;
  /** sendRateKbit / sum of the up paths' capacity estimates of our sending direction: how full the bond runs. */
  bondedOfEstimates?: number;
  /** Bytes held now by the reorder buffer and the ingress queue. */
  bufferedBytes?: number;
  /** Times the reorder buffer skipped holes early because a byte bound was reached. */
  forcedSkips?: number;
  /**
   * Data packets (first sends and re-sends) that went outside the paths their policy or the pin allows because
   * none of those was up.
   */
  restrictedFallbacks?: number;
  /** The path our data is pinned to now (pinPath on the router, the router's PIN frame on the server). */
  pinnedPath?: PathId;
}

export interface ServerStats {
  clients: Array<{ name: string; publicKey: string; tunnelAddress: string; session: SessionStats }>;
  /** Handshake initiations dropped (bad mac, rate limit, unknown key, replay). */
  handshakesRejected?: number;
  /** Datagrams dropped without a reply (unknown index, failed authentication, replay). */
  datagramsRejected?: number;
  /** Inner packets from a client whose source address it does not own. */
  spoofedDropped?: number;
  limits?: ServerLimitStats;
}

/** The server-wide limits and how close the server runs to them. */
export interface ServerLimitStats {
  maxClients: number;
  /** Routers with a session now. */
  sessions: number;
  /** Handshakes of configured routers refused because `maxClients` sessions were live. */
  sessionsRefused: number;
  /** The router refused last (for the log). */
  lastRefused?: string;
  bufferBudgetBytes: number;
  /** Bytes held now by all sessions' reorder buffers and ingress queues. */
  bufferedBytes: number;
  /** Packets dropped, or reorder holes skipped early, because the budget was spent. */
  budgetRefused: number;
}
