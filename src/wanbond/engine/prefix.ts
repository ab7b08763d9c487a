/**
 * Addresses and prefixes of inner packets, and the longest-prefix-match table the server uses to route a TUN
 * packet to the client that owns its destination (WireGuard's cryptokey routing, in both directions).
 */
export interface Prefix {
  family: 4 | 6;
  /** 4 or 16 bytes, host bits zeroed. */
  bytes: Uint8Array;
  length: number;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i]! >> 8;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

/** Parses `addr` or `addr/len` (IPv4 or IPv6); a bare address is a host prefix. Throws a clear error. */
export function parsePrefix(text: string): Prefix {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || !addr) throw new Error(`invalid prefix '${text}'`);
  const v4 = parseV4(addr);
  const bytes = v4 ?? parseV6(addr);
  if (!bytes) throw new Error(`invalid address in '${text}'`);
  const family = v4 ? 4 : 6;
  const max = bytes.length * 8;
  const length = len === undefined ? max : Number(len);
  if (!Number.isInteger(length) || length < 0 || length > max || (len !== undefined && !/^\d+$/.test(len))) {
    throw new Error(`invalid prefix length in '${text}'`);
  }
  for (let bit = length; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family, bytes, length };
}

/** Offset of the destination (or source) address in an IP packet, or -1 when the packet is not IP. */
export function addressOffset(packet: Uint8Array, which: 'src' | 'dst'): number {
  const version = packet[0]! >> 4;
  if (version === 4 && packet.length >= 20) return which === 'dst' ? 16 : 12;
  if (version === 6 && packet.length >= 40) return which === 'dst' ? 24 : 8;
  return -1;
}

function matches(p: Prefix, packet: Uint8Array, off: number): boolean {
  const full = p.length >> 3;
  for (let i = 0; i < full; i++) if (packet[off + i] !== p.bytes[i]) return false;
  const rest = p.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (packet[off + full]! & mask) === p.bytes[full];
}

/** Longest-prefix match; a linear scan of prefixes sorted longest first (tens of clients, not a full table). */
export class PrefixTable<T> {
  private v4: Array<{ prefix: Prefix; value: T }> = [];
  private v6: Array<{ prefix: Prefix; value: T }> = [];

  add(prefix: Prefix, value: T): void {
    const list = prefix.family === 4 ? this.v4 : this.v6;
    list.push({ prefix, value });
    list.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The value owning the packet's `which` address, or undefined. */
  lookup(packet: Uint8Array, which: 'src' | 'dst'): T | undefined {
    const off = addressOffset(packet, which);
    if (off < 0) return undefined;
    const list = packet[0]! >> 4 === 4 ? this.v4 : this.v6;
    for (const e of list) if (matches(e.prefix, packet, off)) return e.value;
    return undefined;
  }
}
