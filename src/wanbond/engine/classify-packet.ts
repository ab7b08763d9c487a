/**
 * Reads the fields a policy rule can match from a raw IPv4 or IPv6 packet without allocating: one scratch object
 * is filled per call (the classifier runs once per packet on the hot path).
 *
 * Robustness rules, as iptables/nftables behave: a packet that is not IP, or whose IP header is cut short, has
 * `family` 0 and matches no rule; a non-first fragment has its protocol but no ports (rules with ports do not
 * match it); a transport header that is cut short, or IPv6 extension headers that run past the packet, leave
 * `hasPorts` false (and `proto` -1 when the protocol itself could not be reached).
 */

export interface PacketFields {
  /** 4, 6, or 0 when the packet is not a well-formed IP header. */
  family: 0 | 4 | 6;
  /** Offsets of the source and destination addresses in the packet. */
  srcOff: number;
  dstOff: number;
  /** Upper-layer protocol (after IPv6 extension headers), -1 when unknown. */
  proto: number;
  hasPorts: boolean;
  srcPort: number;
  dstPort: number;
}

export function emptyFields(): PacketFields {
  return { family: 0, srcOff: 0, dstOff: 0, proto: -1, hasPorts: false, srcPort: 0, dstPort: 0 };
}

const PORTED = new Uint8Array(256);
for (const p of [6, 17, 132, 136]) PORTED[p] = 1;

/** IPv6 extension headers with the generic (next header, length in 8-octet units minus one) layout. */
const GENERIC_EXT = new Uint8Array(256);
for (const h of [0, 43, 60, 135, 139, 140]) GENERIC_EXT[h] = 1;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
/** Bound on the extension-header walk, so a crafted chain costs a fixed amount of work. */
const MAX_EXT = 16;

function ports(p: Uint8Array, off: number, end: number, out: PacketFields): void {
  if (PORTED[out.proto] !== 1 || off + 4 > end) return;
  out.hasPorts = true;
  out.srcPort = (p[off]! << 8) | p[off + 1]!;
  out.dstPort = (p[off + 2]! << 8) | p[off + 3]!;
}

function readV4(p: Uint8Array, out: PacketFields): void {
  if (p.length < 20) return;
  const ihl = (p[0]! & 0x0f) * 4;
  const total = (p[2]! << 8) | p[3]!;
  if (ihl < 20 || ihl > p.length || total < ihl) return;
  out.family = 4;
  out.srcOff = 12;
  out.dstOff = 16;
  out.proto = p[9]!;
  const fragOffset = ((p[6]! & 0x1f) << 8) | p[7]!;
  if (fragOffset !== 0) return;
  ports(p, ihl, Math.min(p.length, total), out);
}

function readV6(p: Uint8Array, out: PacketFields): void {
  if (p.length < 40) return;
  out.family = 6;
  out.srcOff = 8;
  out.dstOff = 24;
  const payload = (p[4]! << 8) | p[5]!;
  // Payload length 0 is a jumbogram (hop-by-hop option): trust the packet's own length.
  const end = payload === 0 ? p.length : Math.min(p.length, 40 + payload);
  let next = p[6]!;
  let off = 40;
  for (let i = 0; i < MAX_EXT; i++) {
    if (GENERIC_EXT[next] === 1) {
      if (off + 8 > end) return;
      const len = (p[off + 1]! + 1) * 8;
      next = p[off]!;
      off += len;
    } else if (next === EXT_AH) {
      if (off + 8 > end) return;
      const len = (p[off + 1]! + 2) * 4;
      next = p[off]!;
      off += len;
    } else if (next === EXT_FRAGMENT) {
      if (off + 8 > end) return;
      const fragOffset = ((p[off + 2]! << 8) | p[off + 3]!) >> 3;
      next = p[off]!;
      off += 8;
      if (fragOffset !== 0) {
        out.proto = next;
        return;
      }
    } else {
      out.proto = next;
      ports(p, off, end, out);
      return;
    }
  }
}

/** Fills `out` from `packet` (see the module comment for what malformed input yields). */
export function readPacketFields(packet: Uint8Array, out: PacketFields): PacketFields {
  out.family = 0;
  out.proto = -1;
  out.hasPorts = false;
  out.srcPort = 0;
  out.dstPort = 0;
  if (packet.length === 0) return out;
  const version = packet[0]! >> 4;
  if (version === 4) readV4(packet, out);
  else if (version === 6) readV6(packet, out);
  return out;
}
