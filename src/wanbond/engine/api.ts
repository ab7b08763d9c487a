/**
 * The sans-IO contract between the bonding engine and its I/O adapters. The engine never reads a clock, opens a
 * socket or arms a timer: adapters feed it events stamped with `now` (milliseconds on a monotonic clock, e.g.
 * performance.now()) and drain its effects. Tests drive the same objects with a virtual clock.
 */

/** A path is one WAN link of a session; the router numbers its links 0..n-1 in config order. */
export type PathId = number;

export type PathChange = 'up' | 'down' | 'address';

export type Mode = 'bond' | 'redundant' | 'failover' | 'direct';

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
}

export interface ServerStats {
  clients: Array<{ name: string; publicKey: string; tunnelAddress: string; session: SessionStats }>;
}
