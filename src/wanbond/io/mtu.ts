import { readFile } from 'node:fs/promises';

/** What a WAN carries when we know nothing better (Ethernet). */
export const DEFAULT_PATH_MTU = 1500;

/**
 * Outer headers of one tunnel datagram in the worst case, IPv6 (40) + UDP (8). We budget for IPv6 on both ends even
 * when the WANs are IPv4 so router and server compute the SAME inner MTU without talking: mismatched TUN MTUs make
 * the larger side emit packets the smaller side's TUN would have to fragment.
 */
export const OUTER_HEADERS = 48;

/**
 * Bytes the engine adds to every data packet on top of UDP (header + AEAD tag); ARCHITECTURE.md caps it at 32.
 * Used until the engine exports its own constant.
 */
export const DEFAULT_TUNNEL_OVERHEAD = 32;

/** IPv6 requires every link to carry 1280 bytes; below that the tunnel could not carry IPv6 at all. */
export const MIN_TUNNEL_MTU = 1280;

/** 1500 - 48 - 32 = 1420, the same figure WireGuard picks for the same reason. */
export function tunnelMtu(pathMtus: number[], overhead = DEFAULT_TUNNEL_OVERHEAD): number {
  const smallest = pathMtus.length > 0 ? Math.min(...pathMtus) : DEFAULT_PATH_MTU;
  return Math.max(MIN_TUNNEL_MTU, smallest - OUTER_HEADERS - overhead);
}

/** TCP MSS that fits a TUN MTU: inner IPv4 (20) or IPv6 (40) header plus TCP (20). */
export function mssFor(mtu: number, family: 4 | 6): number {
  return mtu - (family === 4 ? 40 : 60);
}

/** The device's current MTU, or undefined when it does not exist (yet). */
export async function deviceMtu(device: string): Promise<number | undefined> {
  try {
    const text = await readFile(`/sys/class/net/${device}/mtu`, 'utf8');
    const mtu = Number(text.trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}
