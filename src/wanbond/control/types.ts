/**
 * The control API: what a daemon implements (ControlProvider) and the reply shapes every transport serves the
 * same way (ubus object `wanbond`, JSON over a unix socket). Field names are snake_case because they are the
 * public wire format that LuCI, `ubus call wanbond status` and scripts read.
 */

import { STATUS } from 'ubus-js';

import type { ProcessReply } from './process-stats.js';

export type LinkStateName = 'up' | 'probing' | 'suspect' | 'down' | 'disabled';

export interface LinkReply {
  name: string;
  interface?: string;
  device?: string;
  source?: string;
  backup: boolean;
  state: LinkStateName;
  path_id?: number;
  rtt_ms?: number;
  /** Fractions 0..1. */
  loss: number;
  share: number;
  capacity_up_kbit?: number;
  capacity_down_kbit?: number;
  tx_bytes: number;
  rx_bytes: number;
  tx_packets: number;
  rx_packets: number;
  /** Epoch seconds of the last state change. */
  last_change?: number;
  /** Why the link cannot carry traffic (socket not bound, interface down...). */
  error?: string;
}

export interface TunnelReply {
  /**
   * Router only: the VPS address your traffic leaves from, i.e. the address the internet sees the bonded traffic
   * come from (the server's resolved address the links dial, IPv4 first). Absent until the server name resolves.
   */
  public_address?: string;
  device?: string;
  address?: string;
  addresses?: string[];
  mtu?: number;
  /** Epoch seconds when the current session was established. */
  established_at?: number;
  handshakes?: number;
  reorder_depth: number;
  hold_ms?: number;
  resent_packets: number;
  duplicate_packets: number;
  late_delivered?: number;
  duplicates_sent?: number;
  /** Holes given up on at the reorder deadline (a loss the user's TCP sees). */
  skipped_packets?: number;
  /** Fraction 0..1 of sent bytes that were copies (redundant mode, rescues). */
  duplicate_overhead?: number;
  /** Send rate over the sum of the up paths' capacity estimates: how full the bond runs (0..1+). */
  bonded_of_estimates?: number;
}

export interface TotalsReply {
  tx_bytes: number;
  rx_bytes: number;
  links: number;
  links_up: number;
  capacity_up_kbit?: number;
  capacity_down_kbit?: number;
}

export interface StatusReply {
  role: 'router' | 'server';
  /** Session state: established | handshaking | idle (or disabled). */
  state: string;
  server: string;
  port: number;
  mode?: string;
  /** Seconds the session has been established (0 when not). */
  uptime: number;
  tunnel: TunnelReply;
  links: LinkReply[];
  totals: TotalsReply;
  /** The daemon's own memory, descriptors and event-loop handles (control/process-stats.ts). */
  process?: ProcessReply;
}

/** The server's resource limits and how close it runs to them (docs/limits.md); server `status` only. */
export interface LimitsReply {
  max_clients: number;
  sessions: number;
  /** Handshakes of configured routers refused at max_clients, since start. */
  sessions_refused: number;
  buffer_budget_bytes: number;
  buffered_bytes: number;
  /** Packets dropped or reorder holes skipped early because the budget was spent, since start. */
  budget_refused: number;
}

export interface PolicyReply {
  name: string;
  mode: string;
  use_links: string[];
}

export interface SpeedtestResultReply {
  job: string;
  state: 'queued' | 'running' | 'done' | 'failed' | string;
  [key: string]: unknown;
}

/** One link state transition (also the body of the `wanbond.link` notification and event). */
export interface LinkEvent {
  link: string;
  interface?: string;
  from: LinkStateName;
  to: LinkStateName;
  /** Epoch seconds. */
  time: number;
  reason?: string;
}

type MaybePromise<T> = T | Promise<T>;

/** Parameter types, named like blobmsg's (what the ubus signature advertises and what callers must send). */
export type ControlParamType = 'STRING' | 'INT32' | 'BOOL' | 'TABLE' | 'ARRAY' | 'DOUBLE';

/** An additional method a daemon serves (e.g. `join`, `macvlan_list`). Throw ControlError for a status code. */
export interface ControlMethod {
  params?: Record<string, ControlParamType>;
  handler(args: Record<string, unknown>): MaybePromise<Record<string, unknown> | undefined>;
}

export interface ControlProvider {
  status(): MaybePromise<StatusReply>;
  links(): MaybePromise<LinkReply[]>;
  policies(): MaybePromise<PolicyReply[]>;
  /** Re-reads the config; a rejected config keeps the running one (`ok: false` with the reason). */
  reload(): Promise<{ ok: boolean; error?: string }>;
  /** Starts a speed test (all links when `link` is absent); throw ControlError NOT_FOUND for an unknown link. */
  speedtest?(args: { link?: string; seconds?: number }): MaybePromise<{ job: string }>;
  /** A job's state and results; the newest job when `job` is absent; NOT_FOUND for an unknown job. */
  speedtestResult?(job?: string): MaybePromise<SpeedtestResultReply>;
  /** Strings that must never appear in a reply (private keys): replaced by "[redacted]" as a last line of defence. */
  secrets?(): string[];
  /** More methods, served on both transports under these names. */
  extraMethods?: Record<string, ControlMethod>;
}

/** Status codes are ubus's, on both transports, so callers handle one set. */
export const CONTROL_STATUS = STATUS;
export type ControlStatusName = keyof typeof CONTROL_STATUS;

export class ControlError extends Error {
  override name = 'ControlError';
  readonly status: number;
  constructor(
    readonly code: ControlStatusName,
    message: string,
  ) {
    super(message);
    this.status = CONTROL_STATUS[code];
  }
}
