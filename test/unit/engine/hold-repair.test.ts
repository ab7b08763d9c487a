import { describe, expect, it } from 'vitest';
import { Decaying } from '../../../src/wanbond/engine/decaying.js';
import { ReorderBuffer } from '../../../src/wanbond/engine/reorder.js';

const pkt = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

describe('reorder hold: repair time', () => {
  it('holds a hole for the sender repair time even after the fill-time estimate has decayed', () => {
    const out: number[] = [];
    const rb = new ReorderBuffer((p) => out.push(p.readUInt32LE(0)), 10, 400);
    rb.spreadMs = 35;
    // Long after start the fill-time estimate has decayed: the hold would fall to the spread + 5 ms.
    expect(rb.holdMs(60_000)).toBeCloseTo(40, 0);
    rb.repairMs = 250;
    expect(rb.holdMs(60_000)).toBe(250);
    rb.insert(0, pkt(0), 60_000);
    rb.insert(2, pkt(2), 60_001);
    rb.onTimer(60_200);
    // Still held at 200 ms: the re-sent packet 1 arrives in time and everything goes out in order.
    expect(out).toEqual([0]);
    rb.insert(1, pkt(1), 60_220);
    expect(out).toEqual([0, 1, 2]);
    expect(rb.skipped).toBe(0);
    // The cap still applies.
    rb.repairMs = 5000;
    expect(rb.holdMs(60_300)).toBe(400);
  });
});

describe('Decaying', () => {
  it('forgets with its time constant and gives a rate in steady state', () => {
    const d = new Decaying(1000);
    d.add(10, 0);
    expect(d.value(1000)).toBeCloseTo(10 / Math.E, 6);
    const s = new Decaying(2000);
    for (let t = 0; t < 20_000; t += 10) s.add(5, t);
    // 5 per 10 ms = 0.5 per ms.
    expect(s.rate(20_000)).toBeGreaterThan(0.49);
    expect(s.rate(20_000)).toBeLessThan(0.51);
  });
});
