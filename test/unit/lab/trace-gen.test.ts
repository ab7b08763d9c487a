import { describe, expect, it } from 'vitest';
import {
  CARRIERS,
  fixedRateTrace,
  generateTrace,
  parseTrace,
  summarizeTrace,
  traceText,
} from '../../../src/wanbond/lab/trace-gen.js';

describe('cellular trace generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateTrace({ carrier: 'A', direction: 'down', seed: 5, durationS: 20 });
    const b = generateTrace({ carrier: 'A', direction: 'down', seed: 5, durationS: 20 });
    const c = generateTrace({ carrier: 'A', direction: 'down', seed: 6, durationS: 20 });
    expect(traceText(a.ms)).toBe(traceText(b.ms));
    expect(traceText(a.ms)).not.toBe(traceText(c.ms));
  });

  it('hits each carrier mean and the carriers differ', () => {
    const means = Object.entries(CARRIERS).map(([name, p]) => {
      const s = summarizeTrace(generateTrace({ carrier: name, direction: 'down', seed: 1, durationS: 60 }).ms);
      expect(s.meanMbit).toBeGreaterThan(p.downMbit * 0.97);
      expect(s.meanMbit).toBeLessThan(p.downMbit * 1.03);
      expect(s.periodMs).toBe(60_000);
      return s.meanMbit;
    });
    expect(new Set(means.map((m) => Math.round(m))).size).toBe(means.length);
  });

  it('swings 10x within seconds and has outages of 0.2-2 s', () => {
    let sawSwing = false;
    let outages = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const t = generateTrace({ carrier: 'B', direction: 'down', seed, durationS: 60 });
      // 10x between the best and worst 100 ms steps (outside outages) within a 5 s window.
      for (let i = 0; i + 50 <= t.stepMbit.length; i += 10) {
        const w = t.stepMbit.slice(i, i + 50).filter((v) => v > 0);
        if (w.length && Math.max(...w) >= 10 * Math.min(...w)) sawSwing = true;
      }
      let run = 0;
      for (const v of [...t.stepMbit, 1]) {
        if (v === 0) run++;
        else if (run > 0) {
          expect(run * 100).toBeGreaterThanOrEqual(200);
          expect(run * 100).toBeLessThanOrEqual(2000);
          outages++;
          run = 0;
        }
      }
    }
    expect(sawSwing).toBe(true);
    expect(outages).toBeGreaterThan(3);
  });

  it('writes valid Mahimahi text that parses back', () => {
    const t = generateTrace({ carrier: 'C', direction: 'up', seed: 2, durationS: 5 });
    expect(parseTrace(traceText(t.ms))).toEqual(t.ms);
  });

  it('makes fixed-rate traces: 12 Mbit/s is one opportunity per ms', () => {
    const ms = fixedRateTrace(12, 2);
    expect(ms.length).toBe(2001);
    expect(summarizeTrace(ms).meanMbit).toBeCloseTo(12.006, 2);
  });

  it('rejects bad traces and options', () => {
    expect(() => parseTrace('1\n2\nx\n', 't')).toThrow('t:3: expected a non-negative integer (milliseconds)');
    expect(() => parseTrace('5\n4\n', 't')).toThrow('t:2: timestamps must not decrease');
    expect(() => parseTrace('0\n', 't')).toThrow('t: empty trace or last timestamp 0');
    expect(() => generateTrace({ carrier: 'Q', direction: 'up', seed: 1, durationS: 5 })).toThrow(/unknown carrier/);
    expect(() => generateTrace({ carrier: 'A', direction: 'up', seed: 1, durationS: 0 })).toThrow(/duration/);
  });
});
