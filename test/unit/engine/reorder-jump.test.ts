import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../../src/wanbond/engine/reorder.js';

describe('reorder buffer: a far jump of the sequence', () => {
  it('skips 2^31 numbers in one step, delivering what it held first', () => {
    // Found by issue 11's hardening: skipTo stepped through every skipped number (27 s of blocked event loop for
    // one authenticated datagram whose sequence leapt ahead by 2^31).
    const out: number[] = [];
    const rb = new ReorderBuffer((p) => out.push(p.readUInt32LE(0)), 10, 400);
    const pkt = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    rb.insert(0, pkt(0), 0);
    rb.insert(1, pkt(1), 0);
    rb.insert(5, pkt(5), 1);
    const far = 2 + 2 ** 31 - 10;
    const started = performance.now();
    rb.insert(far >>> 0, pkt(far), 2);
    expect(performance.now() - started).toBeLessThan(200);
    expect(out).toEqual([0, 1, 5]);
    rb.onTimer(1000);
    expect(out).toEqual([0, 1, 5, far >>> 0]);
    // The buffer carries on from there.
    rb.insert((far + 1) >>> 0, pkt(far + 1), 1001);
    expect(out.at(-1)).toBe((far + 1) >>> 0);
  });
});
