// Just enough IPv4/ICMP to read an echo request out of a TUN and answer it by hand.

/** RFC 1071 one's-complement sum over bytes; 0 when a header including its checksum field is intact. */
export function inetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface EchoRequest {
  src: string;
  dst: string;
  ttl: number;
  ihl: number;
  totalLength: number;
  protocol: number;
  ipChecksumOk: boolean;
  type: number;
  code: number;
  id: number;
  seq: number;
  icmpChecksumOk: boolean;
  payloadLength: number;
}

const ip = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

export function isIcmpEcho(p: Uint8Array): boolean {
  return p.length >= 28 && p[0]! >> 4 === 4 && p[9] === 1 && p[(p[0]! & 15) * 4] === 8;
}

export function parseEcho(p: Uint8Array): EchoRequest {
  const ihl = (p[0]! & 15) * 4;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    src: ip(p, 12),
    dst: ip(p, 16),
    ttl: p[8]!,
    ihl,
    totalLength: view.getUint16(2),
    protocol: p[9]!,
    ipChecksumOk: inetChecksum(p.subarray(0, ihl)) === 0,
    type: p[ihl]!,
    code: p[ihl + 1]!,
    id: view.getUint16(ihl + 4),
    seq: view.getUint16(ihl + 6),
    icmpChecksumOk: inetChecksum(p.subarray(ihl)) === 0,
    payloadLength: p.length - ihl - 8,
  };
}

/** The echo reply a host at the request's destination would send, with our own TTL so ping shows it was us. */
export function echoReply(request: Uint8Array, ttl: number): Uint8Array {
  const p = Uint8Array.from(request);
  const ihl = (p[0]! & 15) * 4;
  p.set(request.subarray(16, 20), 12);
  p.set(request.subarray(12, 16), 16);
  p[8] = ttl;
  p[10] = 0;
  p[11] = 0;
  const ipSum = inetChecksum(p.subarray(0, ihl));
  p[10] = ipSum >> 8;
  p[11] = ipSum & 0xff;
  p[ihl] = 0;
  p[ihl + 2] = 0;
  p[ihl + 3] = 0;
  const icmpSum = inetChecksum(p.subarray(ihl));
  p[ihl + 2] = icmpSum >> 8;
  p[ihl + 3] = icmpSum & 0xff;
  return p;
}
