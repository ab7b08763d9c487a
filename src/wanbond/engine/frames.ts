/**
 * Control frames, carried in the encrypted payload of TYPE_CONTROL packets, one after another. A frame starts
 * with its type byte; an unknown type ends parsing of the packet (newer peers bump the protocol version for
 * anything the old parser must understand).
 */
export const FRAME_PING = 0x01;
export const FRAME_ACK = 0x02;
export const FRAME_PATH_CLOSE = 0x03;
export const FRAME_ESTIMATE = 0x04;
export const FRAME_PIN = 0x05;

export const PING_BYTES = 1;
export const PATH_CLOSE_BYTES = 2;
export const ESTIMATE_BYTES = 8;
export const PIN_BYTES = 5;
/** The PIN frame's path id for "not pinned". */
export const PIN_NONE = 0xff;
/** Ack frame bytes before its ranges; each range after the first adds 4. */
export const ACK_FIXED_BYTES = 15;
export const MAX_ACK_RANGES = 24;

/** 0.1 ms: the unit of times carried in frames. */
export const TICKS_PER_MS = 10;

export interface AckFrame {
  pathId: number;
  largestLow: number;
  ackDelayMs: number;
  /** The receiver's clock (ticks, wrapping u32) when the largest packet arrived. */
  recvTicks: number;
  /** [high, low] offsets below largest, inclusive, `rangeCount` pairs. */
  ranges: number[];
  rangeCount: number;
}

export function writePing(buf: Buffer, off: number): number {
  buf[off] = FRAME_PING;
  return off + 1;
}

export function writePathClose(buf: Buffer, off: number, pathId: number): number {
  buf[off] = FRAME_PATH_CLOSE;
  buf[off + 1] = pathId;
  return off + 2;
}

export function writeEstimate(buf: Buffer, off: number, pathId: number, rateKbit: number, srttMs: number): number {
  buf[off] = FRAME_ESTIMATE;
  buf[off + 1] = pathId;
  buf.writeUInt32LE(Math.min(0xffff_ffff, Math.max(0, Math.round(rateKbit))), off + 2);
  buf.writeUInt16LE(Math.min(0xffff, Math.max(0, Math.round(srttMs))), off + 6);
  return off + ESTIMATE_BYTES;
}

export function ackBytes(rangeCount: number): number {
  return ACK_FIXED_BYTES + Math.max(0, rangeCount - 1) * 4;
}

/** `ranges` holds absolute [high, low] packet numbers, highest first, as ReplayWindow.ranges writes them. */
export function writeAck(
  buf: Buffer,
  off: number,
  pathId: number,
  ranges: readonly number[],
  rangeCount: number,
  ackDelayMs: number,
  recvTicks: number,
): number {
  const largest = ranges[0]!;
  buf[off] = FRAME_ACK;
  buf[off + 1] = pathId;
  buf.writeUInt32LE(largest >>> 0, off + 2);
  buf.writeUInt16LE(Math.min(0xffff, Math.max(0, Math.round(ackDelayMs * TICKS_PER_MS))), off + 6);
  buf.writeUInt32LE(recvTicks >>> 0, off + 8);
  buf[off + 12] = rangeCount;
  buf.writeUInt16LE(Math.min(0xffff, largest - ranges[1]!), off + 13);
  let p = off + 15;
  for (let i = 1; i < rangeCount; i++) {
    const gap = ranges[2 * i - 1]! - ranges[2 * i]! - 1;
    const len = ranges[2 * i]! - ranges[2 * i + 1]!;
    buf.writeUInt16LE(Math.min(0xffff, gap), p);
    buf.writeUInt16LE(Math.min(0xffff, len), p + 2);
    p += 4;
  }
  return p;
}

/** Reads an ack frame at `off` (its type byte); returns the offset after it, or -1 when malformed. */
export function readAck(buf: Buffer, off: number, end: number, out: AckFrame): number {
  if (off + ACK_FIXED_BYTES > end) return -1;
  out.pathId = buf[off + 1]!;
  out.largestLow = buf.readUInt32LE(off + 2);
  out.ackDelayMs = buf.readUInt16LE(off + 6) / TICKS_PER_MS;
  out.recvTicks = buf.readUInt32LE(off + 8);
  const count = buf[off + 12]!;
  if (count < 1 || count > MAX_ACK_RANGES || off + ackBytes(count) > end) return -1;
  out.rangeCount = count;
  let high = 0;
  let low = buf.readUInt16LE(off + 13);
  out.ranges[0] = high;
  out.ranges[1] = low;
  let p = off + 15;
  for (let i = 1; i < count; i++) {
    high = low + buf.readUInt16LE(p) + 1;
    low = high + buf.readUInt16LE(p + 2);
    out.ranges[2 * i] = high;
    out.ranges[2 * i + 1] = low;
    p += 4;
  }
  return p;
}

/**
 * PIN: the sender asks the receiver to send this session's data only on `pathId` (PIN_NONE: on any path) for the
 * next `lifetimeMs`. `generation` (u8, wrapping) orders pins: a delayed older frame does not undo a newer one.
 * Written last in a control packet: a peer that does not know the type stops parsing there and loses nothing.
 */
export function writePin(buf: Buffer, off: number, generation: number, pathId: number, lifetimeMs: number): number {
  buf[off] = FRAME_PIN;
  buf[off + 1] = generation & 0xff;
  buf[off + 2] = pathId;
  buf.writeUInt16LE(Math.min(0xffff, Math.max(0, Math.round(lifetimeMs))), off + 3);
  return off + PIN_BYTES;
}
