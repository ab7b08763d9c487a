/**
 * The numbers wanbond's policy routing owns in the kernel (docs/routing.md explains the choice). They sit clear
 * of mwan3 (rule priorities 1000+N, 2000+N, 3000+N, tables 1..N, fwmark mask 0x3f00), netifd's `ip4table` rules
 * (priorities 10000/20000), pbr and Tailscale (fwmark mask 0x00ff0000), wg-quick (fwmark 0xca6c, 32764/32765)
 * and the kernel's own tables (253 default, 254 main, 255 local).
 */

/** Our nftables table. Separate from `inet wanbond` (MSS clamp), which io/nft.ts replaces wholesale on reload. */
export const POLICY_NFT_TABLE = 'wanbond_policy';

/** Table with the route into the tunnel (and the exceptions that must never enter it). */
export const TUN_TABLE = 7700;
/** Per-link tables: 7701 + the link's position in the config. */
export const LINK_TABLE_BASE = 7701;
export const MAX_LINKS = 63;
/** Every table number in this range is ours: removal flushes all of them, leftovers of a crash included. */
export const TABLE_RANGE: readonly [number, number] = [TUN_TABLE, LINK_TABLE_BASE + MAX_LINKS - 1];

/** `ip rule` priorities, evaluated low to high; all below mwan3's 1000 so LAN traffic is ours first. */
export const PRIO_DIRECT = 900;
export const PRIO_SOURCE = 910;
export const PRIO_LAN_LOCAL = 920;
export const PRIO_LAN_TUNNEL = 930;
export const PRIO_RANGE: readonly [number, number] = [900, 939];

/** fwmark bits we own: 6 bits, the link's position + 1 (0 = not ours). */
export const MARK_MASK = 0x3f000000;
export const MARK_SHIFT = 24;

/** Metric of the block-mode backstop: any real route to the TUN wins over it, and it outlives the TUN device. */
export const BACKSTOP_METRIC = 4294967295;

export function linkTable(index: number): number {
  return LINK_TABLE_BASE + index;
}

export function linkMark(index: number): number {
  return ((index + 1) << MARK_SHIFT) >>> 0;
}

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
