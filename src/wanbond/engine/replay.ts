/**
 * Sliding window of received packet numbers of one path (RFC 6479 style). It rejects replays and packets older
 * than the window, and is also the receiver's record of what arrived, from which acknowledgements are built.
 */
export const REPLAY_WINDOW = 2048;
const WORDS = REPLAY_WINDOW / 32;

export class ReplayWindow {
  /** Largest packet number seen, -1 before the first. */
  top = -1;
  private readonly bits = new Uint32Array(WORDS);

  /** True when `pn` is new and inside the window; does not record it (authenticate first, then mark). */
  check(pn: number): boolean {
    if (pn > this.top) return true;
    if (pn <= this.top - REPLAY_WINDOW || pn < 0) return false;
    return !this.has(pn);
  }

  has(pn: number): boolean {
    if (pn > this.top || pn <= this.top - REPLAY_WINDOW || pn < 0) return false;
    const bit = pn % REPLAY_WINDOW;
    return (this.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  mark(pn: number): void {
    if (pn > this.top) {
      if (pn - this.top >= REPLAY_WINDOW) this.bits.fill(0);
      else {
        for (let p = this.top + 1; p < pn; p++) {
          const b = p % REPLAY_WINDOW;
          this.bits[b >>> 5]! &= ~(1 << (b & 31));
        }
      }
      this.top = pn;
    }
    const bit = pn % REPLAY_WINDOW;
    this.bits[bit >>> 5]! |= 1 << (bit & 31);
  }

  /**
   * Received ranges from the top downward, as [high, low] pairs (inclusive), at most `maxRanges`, looking back at
   * most `span` packet numbers. Returns the number of pairs written into `out`.
   */
  ranges(out: number[], maxRanges: number, span: number): number {
    if (this.top < 0) return 0;
    const floor = Math.max(0, this.top - Math.min(span, REPLAY_WINDOW - 1));
    let n = 0;
    let p = this.top;
    while (p >= floor && n < maxRanges) {
      const high = p;
      while (p >= floor && this.has(p)) p--;
      out[2 * n] = high;
      out[2 * n + 1] = p + 1;
      n++;
      while (p >= floor && !this.has(p)) p--;
    }
    return n;
  }
}
