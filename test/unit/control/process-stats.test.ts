import { describe, expect, it } from 'vitest';
import { processStats } from '../../../src/wanbond/control/process-stats.js';

describe('process section of status', () => {
  it('reports memory and descriptors of this process', () => {
    const p = processStats();
    expect(p.rss_kb).toBeGreaterThan(1000);
    expect(p.heap_used_kb).toBeGreaterThan(100);
    expect(p.heap_used_kb).toBeLessThan(p.rss_kb);
    expect(p.fds).toBeGreaterThanOrEqual(3);
  });

  it('counts active timers, and only while they are active', () => {
    const before = processStats().handles.timers;
    const timers = Array.from({ length: 5 }, () => setTimeout(() => {}, 60_000));
    expect(processStats().handles.timers).toBe(before + 5);
    for (const t of timers) clearTimeout(t);
    expect(processStats().handles.timers).toBe(before);
  });
});
