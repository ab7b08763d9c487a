import { describe, expect, it } from 'vitest';
import { NodeAead } from '../../../src/wanbond/engine/aead.js';
import { ByteBudget } from '../../../src/wanbond/engine/budget.js';
import { DEFAULT_TIMING } from '../../../src/wanbond/engine/constants.js';
import { ReorderBuffer } from '../../../src/wanbond/engine/reorder.js';
import { Session } from '../../../src/wanbond/engine/session.js';

/** A packet of `size` bytes whose first 4 bytes are its sequence number (what the tests read back). */
function pkt(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(seq >>> 0);
  return b;
}

function buffer(maxBytes: number, budget?: ByteBudget) {
  const out: number[] = [];
  const rb = new ReorderBuffer((p) => out.push(p.readUInt32LE(0)), 10, 400, maxBytes, budget);
  return { rb, out };
}

describe('reorder buffer bounded in bytes', () => {
  it('counts the bytes it holds and gives them back as it delivers', () => {
    const { rb, out } = buffer(1_000_000);
    for (const s of [2, 3, 5]) rb.insert(s, pkt(s, 1000), 0);
    expect(rb.bytes).toBe(3000);
    rb.insert(0, pkt(0, 500), 1);
    rb.insert(1, pkt(1, 500), 1);
    expect(out).toEqual([0, 1, 2, 3]);
    expect(rb.bytes).toBe(1000);
    rb.onTimer(1000);
    expect(out).toEqual([0, 1, 2, 3, 5]);
    expect(rb.bytes).toBe(0);
    expect(rb.forcedSkips).toBe(0);
  });

  it('at its byte limit skips the oldest hole early, delivering what waited, and never holds more', () => {
    const { rb, out } = buffer(4000);
    // Sequence 0 is lost; 1..10 arrive, 1000 bytes each: at most 4 can be held.
    for (let s = 1; s <= 10; s++) {
      rb.insert(s, pkt(s, 1000), s);
      expect(rb.bytes).toBeLessThanOrEqual(4000);
    }
    // The 5th packet did not fit: the hole at 0 was given up and 1..5 went out; 6..10 then arrived in order.
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rb.forcedSkips).toBe(1);
    expect(rb.skipped).toBe(1);
    expect(rb.bytes).toBe(0);
    // The lost packet still comes through late, once.
    rb.insert(0, pkt(0, 1000), 20);
    expect(out.at(-1)).toBe(0);
    expect(rb.late).toBe(1);
  });

  it('skips hole after hole until the new packet fits', () => {
    const { rb, out } = buffer(3000);
    // Holes at 0, 2 and 4: each held packet is alone behind its hole.
    for (const s of [1, 3, 5]) rb.insert(s, pkt(s, 1000), 0);
    // 2500 more bytes fit only when at most 500 are held: all three holes go, and 9 waits alone behind 6..8.
    rb.insert(9, pkt(9, 2500), 1);
    expect(out).toEqual([1, 3, 5]);
    expect(rb.bytes).toBe(2500);
    expect(rb.skipped).toBe(3);
    expect(rb.count).toBe(1);
  });

  it('shares a budget with other buffers: when the others spent it, a packet out of order goes out at once', () => {
    const budget = new ByteBudget(5500);
    const a = buffer(8 << 20, budget);
    const b = buffer(8 << 20, budget);
    for (let s = 1; s <= 5; s++) a.rb.insert(s, pkt(s, 1000), 0);
    expect(budget.used).toBe(5000);
    // b has nothing of its own to give back: it stops holding rather than exceed the budget.
    for (let s = 1; s <= 4; s++) b.rb.insert(s, pkt(s, 1000), 0);
    expect(b.out).toEqual([1, 2, 3, 4]);
    expect(b.rb.bytes).toBe(0);
    expect(budget.used).toBe(5000);
    expect(budget.refused).toBeGreaterThan(0);
    // a keeps what it holds; releasing it (its session is dropped) returns the bytes.
    expect(a.out).toEqual([]);
    a.rb.release();
    expect(budget.used).toBe(0);
    // With room again, b holds packets as usual.
    b.rb.insert(6, pkt(6, 1000), 0);
    expect(b.rb.bytes).toBe(1000);
    expect(budget.used).toBe(1000);
  });

  it('reset gives the bytes back', () => {
    const budget = new ByteBudget(1 << 20);
    const { rb } = buffer(1 << 20, budget);
    rb.insert(3, pkt(3, 700), 0);
    rb.reset(100);
    expect(rb.bytes).toBe(0);
    expect(budget.used).toBe(0);
  });
});

describe('ingress queue bounded in bytes', () => {
  it('drops new packets beyond 4 MiB per session and counts them', () => {
    const s = new Session(new NodeAead(), DEFAULT_TIMING, 'bond', undefined);
    // No keys yet, so nothing leaves the queue.
    for (let i = 0; i < 70; i++) s.enqueue(new Uint8Array(65_000), 0);
    expect(s.queueBytes).toBe(64 * 65_000);
    expect(s.queueDropped).toBe(6);
    expect(s.stats(0, 'handshaking', false).bufferedBytes).toBe(64 * 65_000);
  });

  it('drops new packets when the shared budget is spent, and release() returns the queue to it', () => {
    const budget = new ByteBudget(10_000);
    const s = new Session(new NodeAead(), DEFAULT_TIMING, 'bond', undefined, budget);
    for (let i = 0; i < 15; i++) s.enqueue(new Uint8Array(1000), 0);
    expect(budget.used).toBe(10_000);
    expect(s.queueDropped).toBe(5);
    expect(budget.refused).toBe(5);
    s.release();
    expect(budget.used).toBe(0);
  });

  it('a sojourn drop gives the bytes back', () => {
    const budget = new ByteBudget(1 << 20);
    const s = new Session(new NodeAead(), DEFAULT_TIMING, 'bond', undefined, budget);
    s.current = {
      localIndex: 1,
      remoteIndex: 2,
      sendKey: Buffer.alloc(32),
      recvKey: Buffer.alloc(32),
      createdAt: 0,
      sent: 0,
      received: 0,
    };
    for (let i = 0; i < 3; i++) s.enqueue(new Uint8Array(1200), 0);
    expect(budget.used).toBe(3600);
    // No path can carry them: past the sojourn limit they are dropped, and their bytes leave the budget.
    s.flush(DEFAULT_TIMING.queueSojournMs + 1);
    expect(s.queueDropped).toBe(3);
    expect(s.queueBytes).toBe(0);
    expect(budget.used).toBe(0);
  });
});
