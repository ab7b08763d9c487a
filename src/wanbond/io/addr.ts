import { isIP } from 'node:net';

/** An interface address with prefix, as `ip addr add` takes it. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `10.255.0.2/24`, `fd00::2/64`, or a bare address (host prefix). Throws a message fit for the log. */
export function parseCidr(text: string, what = 'address'): Cidr {
  const [address = '', prefixText] = text.trim().split('/');
  const family = isIP(address);
  if (family !== 4 && family !== 6) throw new Error(`invalid ${what} '${text}': not an IP address`);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) {
    throw new Error(`invalid ${what} '${text}': prefix must be 0..${max}`);
  }
  return { address, prefix, family };
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

/**
 * The engine names UDP peers with opaque strings; we use `ip:port` and `[v6]:port`. IPv4 clients seen through a
 * dual-stack socket arrive as `::ffff:a.b.c.d` and are shown as plain IPv4 so logs and status read naturally.
 */
export function formatEndpoint(address: string, port: number): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  // Called per received datagram: a colon is enough to tell the families apart, isIP's regex is not needed.
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`;
}

export function parseEndpoint(text: string): { address: string; port: number; family: 4 | 6 } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const address = m?.[1] ?? '';
  const port = Number(m?.[2]);
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || !(port > 0 && port < 65536)) throw new Error(`invalid endpoint '${text}'`);
  return { address, port, family };
}
