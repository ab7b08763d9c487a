import type { ByteBudget } from './budget.js';
import { expand32 } from './numbers.js';

const SIZE = 8192;
const MASK = SIZE - 1;
const DECAY_MS = 5000;
/** Bytes one session's reorder buffer holds at most: 400 ms (the longest hold) at about 160 Mbit/s. */
export const REORDER_MAX_BYTES = 8 * 2 ** 20;

/**
 * Receiver reorder buffer over the session sequence: releases packets in order, holds a gap for at most the hold
 * time, then skips it (a packet arriving after its gap was skipped is still delivered, late, never twice). The
 * hold time follows how long gaps actually took to fill (cross-path delay spread, loss recovery), within bounds.
 * What it holds is bounded in packets (SIZE) and in bytes (its own `maxBytes`, and the budget it shares with other
 * sessions): at a bound the oldest gaps are skipped early, which frees memory without dropping a packet it holds.
 */
export class ReorderBuffer {
  next = 0;
  count = 0;
  deadline = Number.POSITIVE_INFINITY;
  duplicates = 0;
  late = 0;
  skipped = 0;
  /** Payload bytes held now (a running sum: the byte bounds cost no scan). */
  bytes = 0;
  /** Times a byte bound (own or the shared budget) made it skip holes before their hold time was over. */
  forcedSkips = 0;
  private readonly slots: Array<Buffer | undefined> = new Array(SIZE);
  private readonly slotSeq = new Float64Array(SIZE).fill(-1);
  private readonly arrival = new Float64Array(SIZE);
  private readonly seen = new Float64Array(SIZE).fill(-1);
  private waitEst: number;
  private waitAt = 0;
  private lastSkipAt = Number.NEGATIVE_INFINITY;
  private holdAtSkip = 0;

  constructor(
    private readonly deliver: (packet: Buffer) => void,
    private readonly minHoldMs: number,
    private readonly maxHoldMs: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly budget?: ByteBudget,
  ) {
    // Start generous (a hole costs nothing on clean links) and let measured fill times bring it down.
    this.waitEst = maxHoldMs / 3;
  }

  /** Delay spread between the paths, as the session measures it: a gap is never given up on before this. */
  spreadMs = 0;
  /**
   * How long the sender may take to repair a hole: to notice a stalled path and re-send its packets on the fastest
   * one. Giving up sooner turns a late packet into a loss the user's TCP must repair (and halve its window for).
   */
  repairMs = 0;

  holdMs(now: number): number {
    const est = this.waitEst * Math.exp(-(now - this.waitAt) / DECAY_MS);
    return Math.min(this.maxHoldMs, Math.max(this.minHoldMs, 1.5 * est + 2, this.spreadMs + 5, this.repairMs));
  }

  private noteWait(wait: number, now: number): void {
    const est = this.waitEst * Math.exp(-(now - this.waitAt) / DECAY_MS);
    this.waitEst = Math.max(est, wait);
    this.waitAt = now;
  }

  /** Starts over at `seq` (a new session). */
  reset(seq: number): void {
    this.release();
    this.slots.fill(undefined);
    this.slotSeq.fill(-1);
    this.seen.fill(-1);
    this.count = 0;
    this.next = seq;
    this.deadline = Number.POSITIVE_INFINITY;
  }

  /** Gives its bytes back to the shared budget (the session is being dropped, or starts over). */
  release(): void {
    if (this.budget) this.budget.used -= this.bytes;
    this.bytes = 0;
  }

  insert(seqLow: number, packet: Buffer, now: number): void {
    const seq = expand32(this.next, seqLow);
    if (seq < this.next) {
      if (seq <= this.next - SIZE || this.seen[seq & MASK] === seq) {
        this.duplicates++;
        return;
      }
      // Its gap was skipped already: deliver it now rather than lose it, and learn that the hold was short.
      this.seen[seq & MASK] = seq;
      this.late++;
      this.noteWait(now - this.lastSkipAt + this.holdAtSkip, now);
      this.deliver(packet);
      return;
    }
    if (seq >= this.next + SIZE) this.skipTo(seq - SIZE + 1, now);
    const idx = seq & MASK;
    if (this.slotSeq[idx] === seq) {
      this.duplicates++;
      return;
    }
    if (seq !== this.next && !this.fits(packet.length)) this.makeRoom(seq, packet.length, now);
    if (seq === this.next) {
      if (this.count > 0) this.noteWait(now - this.firstBufferedArrival(), now);
      this.seen[idx] = seq;
      this.next++;
      this.deliver(packet);
      this.flush(now);
      return;
    }
    this.slots[idx] = packet;
    this.slotSeq[idx] = seq;
    this.arrival[idx] = now;
    this.count++;
    this.bytes += packet.length;
    if (this.budget) this.budget.used += packet.length;
    if (this.deadline === Number.POSITIVE_INFINITY) this.deadline = now + this.holdMs(now);
  }

  private fits(n: number): boolean {
    return this.bytes + n <= this.maxBytes && (this.budget === undefined || this.budget.fits(n));
  }

  /**
   * A byte bound is reached: skip the oldest gaps (delivering what waited behind them) until `n` more bytes fit;
   * when nothing held is left to give back (the shared budget is spent by other sessions), skip up to `seq` itself
   * so it goes out at once instead of being held.
   */
  private makeRoom(seq: number, n: number, now: number): void {
    if (this.budget && !this.budget.fits(n)) this.budget.refused++;
    this.forcedSkips++;
    while (this.count > 0 && !this.fits(n)) {
      const first = this.firstBufferedSeq();
      if (first < 0 || first > seq) break;
      this.skipTo(first, now);
    }
    if (!this.fits(n) && seq > this.next) this.skipTo(seq, now);
  }

  /** Empties slot `idx` and returns its packet, keeping the byte counts right. */
  private take(idx: number): Buffer {
    const p = this.slots[idx]!;
    this.slots[idx] = undefined;
    this.slotSeq[idx] = -1;
    this.count--;
    this.bytes -= p.length;
    if (this.budget) this.budget.used -= p.length;
    return p;
  }

  private firstBufferedSeq(): number {
    for (let s = this.next; s < this.next + SIZE; s++) if (this.slotSeq[s & MASK] === s) return s;
    return -1;
  }

  private firstBufferedArrival(): number {
    const s = this.firstBufferedSeq();
    return s < 0 ? 0 : this.arrival[s & MASK]!;
  }

  private flush(now: number): void {
    for (;;) {
      const idx = this.next & MASK;
      if (this.slotSeq[idx] !== this.next) break;
      const p = this.take(idx);
      this.seen[idx] = this.next;
      this.next++;
      this.deliver(p);
    }
    if (this.count === 0) this.deadline = Number.POSITIVE_INFINITY;
    else this.deadline = this.firstBufferedArrival() + this.holdMs(now);
  }

  private skipTo(seq: number, now: number): void {
    // Everything buffered lies within SIZE of `next`: past that there is nothing left to deliver, so a far jump (a
    // peer's sequence leaping ahead) costs at most SIZE steps instead of one step per skipped number.
    const end = Math.min(seq, this.next + SIZE);
    while (this.next < end) {
      const idx = this.next & MASK;
      if (this.slotSeq[idx] === this.next) {
        const p = this.take(idx);
        this.seen[idx] = this.next;
        this.deliver(p);
      } else this.skipped++;
      this.next++;
    }
    if (this.next < seq) {
      this.skipped += seq - this.next;
      this.next = seq;
    }
    this.lastSkipAt = now;
    this.holdAtSkip = this.holdMs(now);
    this.flush(now);
  }

  /** Skips expired gaps. */
  onTimer(now: number): void {
    while (this.count > 0 && now >= this.deadline) {
      const s = this.firstBufferedSeq();
      if (s < 0) break;
      this.skipTo(s, now);
    }
  }
}
