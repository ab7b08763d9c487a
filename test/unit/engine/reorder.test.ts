import { describe, expect, it } from 'vitest';
import { markCongestion } from '../../../src/wanbond/engine/codel.js';
import { ReorderBuffer } from '../../../src/wanbond/engine/reorder.js';

const pkt = (n: number) => Buffer.from([n & 0xff]);

describe('reorder buffer', () => {
  it('releases in order, holds a gap, then skips it and still delivers the late packet once', () => {
    const out: number[] = [];
    const r = new ReorderBuffer((p) => out.push(p[0]!), 10, 100);
    r.insert(0, pkt(0), 0);
    r.insert(2, pkt(2), 1);
    r.insert(3, pkt(3), 1);
    expect(out).toEqual([0]);
    expect(r.count).toBe(2);
    r.insert(1, pkt(1), 5);
    expect(out).toEqual([0, 1, 2, 3]);
    r.insert(5, pkt(5), 10);
    const deadline = r.deadline;
    expect(deadline).toBeGreaterThan(10);
    expect(deadline).toBeLessThanOrEqual(110);
    r.onTimer(deadline - 0.5);
    expect(out).toEqual([0, 1, 2, 3]);
    r.onTimer(deadline);
    expect(out).toEqual([0, 1, 2, 3, 5]);
    expect(r.skipped).toBe(1);
    r.insert(4, pkt(4), deadline + 1);
    expect(out).toEqual([0, 1, 2, 3, 5, 4]);
    expect(r.late).toBe(1);
    r.insert(4, pkt(4), deadline + 2);
    r.insert(2, pkt(2), deadline + 2);
    expect(r.duplicates).toBe(2);
    expect(out.length).toBe(6);
  });

  it('lets the measured delay spread set a floor under the hold time', () => {
    const r = new ReorderBuffer(() => {}, 10, 400);
    r.spreadMs = 80;
    expect(r.holdMs(100_000)).toBeGreaterThanOrEqual(85);
    expect(r.holdMs(100_000)).toBeLessThanOrEqual(400);
  });
});

describe('ECN marking', () => {
  const checksum = (h: Buffer) => {
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += h.readUInt16BE(i);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return s;
  };

  it('sets CE on ECT IPv4 keeping the header checksum valid, and refuses non-ECT packets', () => {
    const h = Buffer.from('450000540000400040010000c0a80001c0a800c7', 'hex');
    h[1] = 0x02; // ECT(0)
    h.writeUInt16BE(0, 10);
    h.writeUInt16BE(~checksum(h) & 0xffff, 10);
    expect(checksum(h)).toBe(0xffff);
    expect(markCongestion(h)).toBe(true);
    expect(h[1]! & 3).toBe(3);
    expect(checksum(h)).toBe(0xffff);
    const plain = Buffer.from(h);
    plain[1] = 0;
    expect(markCongestion(plain)).toBe(false);
    const v6 = Buffer.alloc(40);
    v6[0] = 0x60;
    v6[1] = 0x10; // ECT(1)
    expect(markCongestion(v6)).toBe(true);
    expect((v6[1]! >> 4) & 3).toBe(3);
  });
});
