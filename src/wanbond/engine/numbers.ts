const SPAN = 0x1_0000_0000;
const HALF = 0x8000_0000;

/**
 * Full 64-bit value (as a safe integer) of a counter whose low 32 bits travel on the wire: the candidate closest
 * to `expected` (QUIC's packet number decoding, RFC 9000 A.3, with a fixed 32-bit window).
 */
export function expand32(expected: number, low: number): number {
  const base = expected - (expected % SPAN);
  let candidate = base + low;
  if (candidate <= expected - HALF) candidate += SPAN;
  else if (candidate > expected + HALF && candidate >= SPAN) candidate -= SPAN;
  return candidate;
}

/** Signed 32-bit difference a - b of two wrapping u32 values. */
export function diff32(a: number, b: number): number {
  return ((a - b) | 0) as number;
}
