/** Builds raw IPv4/IPv6 packets for the classifier tests (headers only as far as the classifier reads them). */
import { isIPv4 } from 'node:net';

function v4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function v6Bytes(a: string): number[] {
  const [head = '', tail] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

export interface PacketOpts {
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  /** IPv4: fragment offset in 8-byte units; IPv6: adds a fragment header with this offset. */
  fragOffset?: number;
  /** IPv6 extension headers to put before the transport header (0, 43, 60 generic; 51 AH). */
  ext?: number[];
  /** Cut the packet to this many bytes. */
  truncate?: number;
}

function transport(o: PacketOpts): number[] {
  const l4 = new Array<number>(o.proto === 6 ? 20 : 8).fill(0);
  if (o.sport !== undefined) {
    l4[0] = o.sport >> 8;
    l4[1] = o.sport & 0xff;
  }
  if (o.dport !== undefined) {
    l4[2] = o.dport >> 8;
    l4[3] = o.dport & 0xff;
  }
  return l4;
}

export function packet(o: PacketOpts): Uint8Array {
  let bytes: number[];
  if (isIPv4(o.src)) {
    const l4 = transport(o);
    const total = 20 + l4.length;
    const frag = o.fragOffset ?? 0;
    bytes = [
      0x45,
      0,
      total >> 8,
      total & 0xff,
      0,
      1,
      (frag >> 8) & 0x1f,
      frag & 0xff,
      64,
      o.proto,
      0,
      0,
      ...v4Bytes(o.src),
      ...v4Bytes(o.dst),
      ...l4,
    ];
  } else {
    const chain = [...(o.ext ?? [])];
    if (o.fragOffset !== undefined) chain.push(44);
    const exts: number[] = [];
    chain.forEach((h, i) => {
      const next = chain[i + 1] ?? o.proto;
      if (h === 44) {
        const off = (o.fragOffset ?? 0) << 3;
        exts.push(next, 0, off >> 8, off & 0xff, 0, 0, 0, 1);
      } else if (h === 51) {
        // AH: length in 4-octet units minus 2; 12 bytes header + 12 bytes ICV = 24 bytes -> 4.
        exts.push(next, 4, ...new Array<number>(22).fill(0));
      } else {
        exts.push(next, 1, ...new Array<number>(14).fill(0));
      }
    });
    const l4 = transport(o);
    const payload = exts.length + l4.length;
    bytes = [
      0x60,
      0,
      0,
      0,
      payload >> 8,
      payload & 0xff,
      chain[0] ?? o.proto,
      64,
      ...v6Bytes(o.src),
      ...v6Bytes(o.dst),
      ...exts,
      ...l4,
    ];
  }
  const out = Uint8Array.from(bytes);
  return o.truncate !== undefined ? out.subarray(0, o.truncate) : out;
}
