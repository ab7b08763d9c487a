/**
 * Tunnel address allocation for new clients: the lowest host address of the server's subnet that is not the
 * server's own, not the network or broadcast address, and not held by any client.
 */
import { type Cidr, isNetworkOrBroadcast, networkOf, parseCidr, parseIp } from '../config/net.js';

export class PoolExhaustedError extends Error {}

function hostBits(c: Cidr): number {
  return (c.family === 4 ? 32 : 128) - c.prefix;
}

export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run (>1) of zero words becomes '::', leftmost on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Next free address in the subnet of `serverAddress` (e.g. '10.255.0.1/24'), skipping the server and `taken`
 * (client addresses, with or without a prefix). Returns the bare address. Throws PoolExhaustedError when full.
 */
export function nextFreeAddress(serverAddress: string, taken: readonly string[]): string {
  const net = parseCidr(serverAddress);
  if (!net) throw new Error(`'${serverAddress}' is not an address with prefix`);
  const used = new Set<bigint>([net.value]);
  for (const t of taken) {
    const ip = parseIp(t.split('/')[0]!);
    if (ip && ip.family === net.family) used.add(ip.value);
  }
  const base = networkOf(net);
  const size = 1n << BigInt(hostBits(net));
  // Bounded so a /64 pool never turns this into a 2^64 loop: used.size + 2 candidates always contain a free one.
  const limit = size < BigInt(used.size + 3) ? size : BigInt(used.size + 3);
  for (let off = 1n; off < limit; off++) {
    const ip = { family: net.family, value: base + off };
    if (used.has(ip.value) || isNetworkOrBroadcast(net, ip)) continue;
    return formatIp(net.family, ip.value);
  }
  throw new PoolExhaustedError(`no free tunnel address left in ${serverAddress} (${used.size - 1} clients)`);
}
