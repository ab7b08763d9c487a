/**
 * `ip rule` and `ip route` entries as data: rendered to the exact `ip` arguments, read back from `ip -j` output,
 * and keyed so a desired set can be compared with what the kernel holds (apply adds what is missing before it
 * deletes what is extra, so a reload never opens a gap where LAN traffic could leak past the tunnel).
 */
import { hex } from './policy-constants.js';

export interface IpRule {
  family: 4 | 6;
  priority: number;
  from?: string;
  to?: string;
  iif?: string;
  fwmark?: number;
  fwmask?: number;
  table: number | 'main';
  suppressPrefixLength?: number;
}

export type RouteType = 'unicast' | 'throw' | 'blackhole' | 'unreachable';

export interface IpRoute {
  family: 4 | 6;
  table: number;
  type: RouteType;
  /** `default` or a prefix (a host address without `/len`). */
  dst: string;
  via?: string;
  dev?: string;
  /** Always set by the plan (IPv6 turns metric 0 into 1024, so an explicit one keeps keys stable). */
  metric?: number;
}

function familyFlag(f: 4 | 6): string {
  return f === 4 ? '-4' : '-6';
}

/** Strips a host length so `10.0.0.1/32` and `10.0.0.1` (what `ip -j` prints) compare equal. */
function host(text: string, family: 4 | 6): string {
  return text.endsWith(family === 4 ? '/32' : '/128') ? text.slice(0, text.lastIndexOf('/')) : text;
}

/** Arguments after `ip`, without the verb: `-4 rule <verb> pref 910 from 192.0.2.2 lookup 7701`. */
export function ruleSelector(r: IpRule): string[] {
  const a = [`pref`, String(r.priority)];
  if (r.from !== undefined) a.push('from', host(r.from, r.family));
  if (r.to !== undefined) a.push('to', host(r.to, r.family));
  if (r.iif !== undefined) a.push('iif', r.iif);
  if (r.fwmark !== undefined) a.push('fwmark', `${hex(r.fwmark)}/${hex(r.fwmask ?? 0xffffffff)}`);
  a.push('lookup', String(r.table));
  if (r.suppressPrefixLength !== undefined) a.push('suppress_prefixlength', String(r.suppressPrefixLength));
  return a;
}

export function ruleArgs(verb: 'add' | 'del', r: IpRule): string[] {
  return [familyFlag(r.family), 'rule', verb, ...ruleSelector(r)];
}

export function routeArgs(verb: 'replace' | 'del', r: IpRoute): string[] {
  const a = [familyFlag(r.family), 'route', verb];
  if (r.type !== 'unicast') a.push(r.type);
  a.push(host(r.dst, r.family));
  if (r.via !== undefined) a.push('via', r.via);
  if (r.dev !== undefined) a.push('dev', r.dev);
  a.push('table', String(r.table));
  if (r.metric !== undefined) a.push('metric', String(r.metric));
  return a;
}

export function ruleKey(r: IpRule): string {
  return [r.family, ...ruleSelector(r)].join(' ');
}

/** Identity of a route as the kernel keys it (table, type-independent destination, metric) plus its content. */
export function routeKey(r: IpRoute): string {
  return [r.family, r.table, r.type, host(r.dst, r.family), r.via ?? '', r.dev ?? '', r.metric ?? 0].join(' ');
}

/** `ip` command lines, for logs, docs and the pure tests. */
export function ruleCommand(r: IpRule): string {
  return `ip ${ruleArgs('add', r).join(' ')}`;
}

export function routeCommand(r: IpRoute): string {
  return `ip ${routeArgs('replace', r).join(' ')}`;
}

type Json = Record<string, unknown>;

function tableOf(v: unknown): number | 'main' | undefined {
  if (v === 'main') return 'main';
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** One entry of `ip -j rule show` (iproute2's JSON), or undefined for rules we could not have written. */
export function parseJsonRule(family: 4 | 6, j: Json): IpRule | undefined {
  const table = tableOf(j.table);
  if (typeof j.priority !== 'number' || table === undefined) return undefined;
  const r: IpRule = { family, priority: j.priority, table };
  const withLen = (addr: unknown, len: unknown) =>
    typeof addr === 'string' && addr !== 'all' ? (typeof len === 'number' ? `${addr}/${len}` : addr) : undefined;
  const from = withLen(j.src, j.srclen);
  const to = withLen(j.dst, j.dstlen);
  if (from !== undefined) r.from = from;
  if (to !== undefined) r.to = to;
  if (typeof j.iif === 'string') r.iif = j.iif;
  if (typeof j.fwmark === 'string') {
    r.fwmark = Number(j.fwmark);
    r.fwmask = typeof j.fwmask === 'string' ? Number(j.fwmask) : 0xffffffff;
  }
  if (typeof j.suppress_prefixlen === 'number') r.suppressPrefixLength = j.suppress_prefixlen;
  return r;
}

/** One entry of `ip -j route show table N`. */
export function parseJsonRoute(family: 4 | 6, table: number, j: Json): IpRoute | undefined {
  if (typeof j.dst !== 'string') return undefined;
  const type = (typeof j.type === 'string' ? j.type : 'unicast') as RouteType;
  const r: IpRoute = { family, table, type, dst: j.dst };
  if (typeof j.gateway === 'string') r.via = j.gateway;
  // Throw, blackhole and unreachable routes show `dev lo`; we never give them a device.
  if (typeof j.dev === 'string' && type === 'unicast') r.dev = j.dev;
  if (typeof j.metric === 'number' && j.metric !== 0) r.metric = j.metric;
  return r;
}
