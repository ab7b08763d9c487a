import { describe, expect, it } from 'vitest';
import { loadModule } from './loader.js';

const f = loadModule('wanbond.format');

describe('wanbond.format', () => {
  it('substitutes %s and %d in order and keeps %%', () => {
    expect(f.fmt('%s of %d (%%)', 'a', 2.6)).toBe('a of 3 (%)');
    expect(f.fmt('no args')).toBe('no args');
  });

  it('formats rates in decimal units with three significant digits', () => {
    expect(f.rateKbit(0)).toBe('0 kbit/s');
    expect(f.rateKbit(950)).toBe('950 kbit/s');
    expect(f.rateKbit(1234)).toBe('1.23 Mbit/s');
    expect(f.rateKbit(20000)).toBe('20 Mbit/s');
    expect(f.rateKbit(87654)).toBe('87.7 Mbit/s');
    expect(f.rateKbit(1.5e6)).toBe('1.5 Gbit/s');
    expect(f.rateBits(8e6)).toBe('8 Mbit/s');
  });

  it('shows a dash for unknown or invalid numbers', () => {
    for (const fn of ['rateKbit', 'rateBits', 'bytes', 'ms', 'percent', 'duration']) {
      expect(f[fn](null)).toBe('-');
      expect(f[fn](undefined)).toBe('-');
      expect(f[fn](Number.NaN)).toBe('-');
    }
    expect(f.rateKbit(-1)).toBe('-');
    expect(f.clock(null, 0)).toBe('-');
    expect(f.ago(null, 0)).toBe('-');
  });

  it('formats byte counters in binary units', () => {
    expect(f.bytes(0)).toBe('0 B');
    expect(f.bytes(1023)).toBe('1023 B');
    expect(f.bytes(1536)).toBe('1.5 KiB');
    expect(f.bytes(5 * 1024 ** 3)).toBe('5 GiB');
  });

  it('formats latency, ratios and durations', () => {
    expect(f.ms(3.456)).toBe('3.46 ms');
    expect(f.ms(42.4)).toBe('42 ms');
    expect(f.percent(0.42)).toBe('42 %');
    expect(f.percent(0.005)).toBe('0.5 %');
    expect(f.percent(0)).toBe('0 %');
    expect(f.percent(0.9312, 1)).toBe('93.1 %');
    expect(f.duration(12)).toBe('12s');
    expect(f.duration(250)).toBe('4m 10s');
    expect(f.duration(2 * 3600 + 5 * 60 + 9)).toBe('2h 5m');
    expect(f.duration(3 * 86400 + 4 * 3600)).toBe('3d 4h');
  });

  it('prints the time of day for today and the date otherwise', () => {
    const now = new Date(2026, 10, 22, 15, 0, 0).getTime();
    expect(f.clock(new Date(2026, 10, 22, 9, 5, 7).getTime(), now)).toBe('09:05:07');
    expect(f.clock(new Date(2026, 10, 21, 23, 59, 59).getTime(), now)).toBe('2026-11-21 23:59:59');
    expect(f.ago(now - 65_000, now)).toBe('1m 5s ago');
    expect(f.ago(now + 5_000, now)).toBe('0s ago');
  });
});
