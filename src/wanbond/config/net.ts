import { isIPv4, isIPv6 } from 'node:net';

/** Address arithmetic for validating tunnel addresses, routes and rule matches (IPv4 and IPv6). */

export type Family = 4 | 6;

export interface IpAddr {
  family: Family;
  /** The address as an integer (32 or 128 bits). */
  value: bigint;
}

export interface Cidr extends IpAddr {
  prefix: number;
}

function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function parseIp(text: string): IpAddr | undefined {
  if (isIPv4(text)) {
    const v = text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
    return { family: 4, value: v };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  const dotted = s.slice(lastColon + 1);
  if (dotted.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is two more 16-bit words.
    const v4 = parseIp(dotted);
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const split = s.split('::');
  const head = split[0] ? split[0].split(':') : [];
  const tail = split.length > 1 && split[1] ? split[1].split(':') : [];
  const fill = split.length > 1 ? 8 - head.length - tail.length : 0;
  const words = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail];
  if (words.length !== 8) return undefined;
  return { family: 6, value: words.reduce((acc, w) => (acc << 16n) | BigInt(Number.parseInt(w, 16)), 0n) };
}

/** `ADDR/PREFIX`; with `requirePrefix: false` a bare address is a host route (/32 or /128). */
export function parseCidr(text: string, requirePrefix = true): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (requirePrefix) return undefined;
    const ip = parseIp(text);
    return ip ? { ...ip, prefix: bits(ip.family) } : undefined;
  }
  const ip = parseIp(text.slice(0, slash));
  const p = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > bits(ip.family)) return undefined;
  return { ...ip, prefix };
}

function mask(family: Family, prefix: number): bigint {
  const b = BigInt(bits(family));
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n);
}

export function networkOf(c: Cidr): bigint {
  return c.value & mask(c.family, c.prefix);
}

export function contains(net: Cidr, ip: IpAddr): boolean {
  return net.family === ip.family && (ip.value & mask(net.family, net.prefix)) === networkOf(net);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.value & m) === (b.value & m);
}

/** The subnet's network and broadcast addresses, which cannot be given to a host (IPv4 with prefix < 31). */
export function isNetworkOrBroadcast(net: Cidr, ip: IpAddr): boolean {
  if (net.family !== 4 || net.prefix >= 31) return false;
  const host = (1n << BigInt(32 - net.prefix)) - 1n;
  const off = ip.value & host;
  return off === 0n || off === host;
}

/** A DNS name (RFC 1123 labels) or an IP address. */
export function isHostname(text: string): boolean {
  if (parseIp(text)) return true;
  if (text.length === 0 || text.length > 253) return false;
  return text
    .replace(/\.$/, '')
    .split('.')
    .every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** Linux interface names: 1..15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
export function isInterfaceName(text: string): boolean {
  return /^[^\s/:]{1,15}$/.test(text) && text !== '.' && text !== '..';
}
