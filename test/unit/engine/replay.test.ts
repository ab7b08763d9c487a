import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AckFrame, readAck, writeAck } from '../../../src/wanbond/engine/frames.js';
import { diff32, expand32 } from '../../../src/wanbond/engine/numbers.js';
import { REPLAY_WINDOW, ReplayWindow } from '../../../src/wanbond/engine/replay.js';

describe('replay window', () => {
  it('accepts each number once and rejects what fell out of the window', () => {
    const w = new ReplayWindow();
    expect(w.check(0)).toBe(true);
    w.mark(0);
    expect(w.check(0)).toBe(false);
    w.mark(5);
    expect(w.check(3)).toBe(true);
    w.mark(3);
    expect(w.check(3)).toBe(false);
    w.mark(5 + REPLAY_WINDOW);
    expect(w.check(4)).toBe(false);
    expect(w.check(6)).toBe(true);
    expect(w.check(-1)).toBe(false);
  });

  it('reports exactly the received numbers as ranges, and acks survive encoding', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 300 }), (pns) => {
        const w = new ReplayWindow();
        for (const p of pns) w.mark(p);
        const out: number[] = [];
        const n = w.ranges(out, 1000, 512);
        const top = Math.max(...pns);
        const expected = new Set(pns.filter((p) => p >= top - 512));
        const got = new Set<number>();
        for (let i = 0; i < n; i++) for (let p = out[2 * i]!; p >= out[2 * i + 1]!; p--) got.add(p);
        expect(got).toEqual(expected);
        // Ack frames carry at most 24 ranges; the decoded ones must be exactly the first 24.
        const count = Math.min(n, 24);
        const buf = Buffer.alloc(200);
        const end = writeAck(buf, 0, 2, out, count, 3.2, 0xfffffff0);
        const f: AckFrame = { pathId: 0, largestLow: 0, ackDelayMs: 0, recvTicks: 0, ranges: [], rangeCount: 0 };
        expect(readAck(buf, 0, end, f)).toBe(end);
        expect(f.pathId).toBe(2);
        expect(f.largestLow).toBe(top);
        expect(f.ackDelayMs).toBeCloseTo(3.2, 5);
        expect(f.recvTicks).toBe(0xfffffff0);
        for (let i = 0; i < count; i++) {
          expect(top - f.ranges[2 * i]!).toBe(out[2 * i]);
          expect(top - f.ranges[2 * i + 1]!).toBe(out[2 * i + 1]);
        }
      }),
    );
  });

  it('rejects malformed ack frames', () => {
    const f: AckFrame = { pathId: 0, largestLow: 0, ackDelayMs: 0, recvTicks: 0, ranges: [], rangeCount: 0 };
    const buf = Buffer.alloc(15);
    buf[12] = 0;
    expect(readAck(buf, 0, 15, f)).toBe(-1);
    buf[12] = 3;
    expect(readAck(buf, 0, 15, f)).toBe(-1);
    expect(readAck(buf, 0, 10, f)).toBe(-1);
  });
});

describe('32-bit counters on the wire', () => {
  it('expands to the value nearest the expected one', () => {
    expect(expand32(0, 0)).toBe(0);
    expect(expand32(10, 7)).toBe(7);
    expect(expand32(2 ** 32 - 2, 3)).toBe(2 ** 32 + 3);
    expect(expand32(2 ** 32 + 5, 2 ** 32 - 3)).toBe(2 ** 32 - 3);
    expect(expand32(3 * 2 ** 32 + 100, 50)).toBe(3 * 2 ** 32 + 50);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), (e, d) => {
        const v = Math.max(0, e + d);
        expect(expand32(e, v % 2 ** 32)).toBe(v);
      }),
    );
    expect(diff32(5, 0xfffffffe)).toBe(7);
  });
});
