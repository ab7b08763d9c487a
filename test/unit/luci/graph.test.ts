import { describe, expect, it } from 'vitest';
import { loadModule } from './loader.js';

const cache = new Map();
const history = loadModule('wanbond.history', {}, cache);
const chart = loadModule('wanbond.chart', {}, cache);
const model = loadModule('wanbond.status', {}, cache);

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function sample(tx1: number, rx1: number, tx2: number, rx2: number, state2 = 'up', lastChange2?: number) {
  return {
    state: 'connected',
    links: [
      { name: 'wan1', state: 'up', tx_bytes: tx1, rx_bytes: rx1 },
      { name: 'wan2', state: state2, tx_bytes: tx2, rx_bytes: rx2, last_change: lastChange2 },
    ],
    totals: { tx_bytes: tx1 + tx2, rx_bytes: rx1 + rx2 },
  };
}

describe('wanbond.history: rates from byte counters', () => {
  it('needs two samples, then gives kbit/s per link and bonded', () => {
    const h = history.create(300);
    expect(history.push(h, sample(0, 0, 0, 0), T0, model.toEpochMs)).toBeNull();
    // 2 s later: wan1 sent 250 kB (1 Mbit/s), received 1.25 MB (5 Mbit/s).
    const r = history.push(h, sample(250_000, 1_250_000, 125_000, 0), T0 + 2000, model.toEpochMs);
    expect(r.links.wan1.up).toBeCloseTo(1000);
    expect(r.links.wan1.down).toBeCloseTo(5000);
    expect(r.links.wan2.up).toBeCloseTo(500);
    expect(r.total.up).toBeCloseTo(1500);
    expect(r.total.down).toBeCloseTo(5000);
    expect(history.latest(h)).toBe(r);
  });

  it('gives no rate when a counter goes backwards (daemon restarted) or is missing', () => {
    expect(history.rate(100, 50, 1000)).toBeNull();
    expect(history.rate(null, 50, 1000)).toBeNull();
    expect(history.rate(0, 50, 0)).toBeNull();
    expect(history.rate(0, 125, 1000)).toBe(1);
  });

  it('forgets the previous counters when the daemon goes away', () => {
    const h = history.create(300);
    history.push(h, sample(0, 0, 0, 0), T0, model.toEpochMs);
    history.push(h, null, T0 + 2000, model.toEpochMs);
    expect(history.push(h, sample(10, 10, 10, 10), T0 + 4000, model.toEpochMs)).toBeNull();
  });

  it('keeps only the window', () => {
    const h = history.create(10);
    for (let i = 0; i <= 20; i++) history.push(h, sample(i * 1000, 0, 0, 0), T0 + i * 1000, model.toEpochMs);
    expect(h.samples.length).toBeLessThanOrEqual(11);
    expect(h.samples[0].t).toBeGreaterThanOrEqual(T0 + 10_000);
  });

  it('records a failover event with the time the daemon reports', () => {
    const h = history.create(300);
    history.push(h, sample(0, 0, 0, 0), T0, model.toEpochMs);
    history.push(h, sample(0, 0, 0, 0, 'down', (T0 + 1500) / 1000), T0 + 2000, model.toEpochMs);
    expect(h.events).toEqual([{ t: T0 + 1500, link: 'wan2', from: 'up', to: 'down' }]);
    history.push(h, sample(0, 0, 0, 0, 'down'), T0 + 4000, model.toEpochMs);
    expect(h.events).toHaveLength(1);
  });

  it('merges the daemon event log with seen changes, newest first, without duplicates', () => {
    const seen = [{ t: T0 + 1500, link: 'wan2', from: 'up', to: 'down' }];
    const daemon = [
      { time: (T0 + 1000) / 1000, link: 'wan2', from: 'up', to: 'down', reason: 'no reply for 600 ms' },
      { time: (T0 - 60_000) / 1000, link: 'wan1', from: 'down', to: 'up' },
    ];
    const list = history.mergeEvents(seen, daemon, model.toEpochMs, T0 + 5000);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ link: 'wan2', to: 'down', reason: 'no reply for 600 ms' });
    expect(list[1]).toMatchObject({ link: 'wan1', to: 'up' });
    expect(history.mergeEvents(seen, 4, model.toEpochMs, T0)).toHaveLength(1);
  });
});

describe('wanbond.history + wanbond.chart: graph series and geometry', () => {
  function filled() {
    const h = history.create(300);
    for (let i = 0; i <= 10; i++) {
      // wan1 steady 8 Mbit/s down, wan2 4 Mbit/s down; bonded total 11 Mbit/s.
      const t = T0 + i * 2000;
      history.push(
        h,
        {
          links: [
            { name: 'wan1', state: 'up', tx_bytes: 0, rx_bytes: i * 2_000_000 },
            { name: 'wan2', state: 'up', tx_bytes: 0, rx_bytes: i * 1_000_000 },
          ],
          totals: { tx_bytes: 0, rx_bytes: i * 2_750_000 },
        },
        t,
        model.toEpochMs,
      );
    }
    return h;
  }

  it('gives one value per sample for each link, in the daemon order', () => {
    const s = history.series(filled(), 'down');
    expect(s.t).toHaveLength(10);
    expect(s.links.map((l: { name: string }) => l.name)).toEqual(['wan1', 'wan2']);
    expect(s.links[0].values.every((v: number) => Math.abs(v - 8000) < 1e-6)).toBe(true);
    expect(s.total.every((v: number) => Math.abs(v - 11000) < 1e-6)).toBe(true);
  });

  it('stacks the areas and scales to a round maximum', () => {
    const s = history.series(filled(), 'down');
    const g = chart.layout(s, { width: 600, height: 200, windowMs: 300_000, nowMs: T0 + 20_000 });
    expect(g.max).toBe(20000); // 12 Mbit/s stacked peak -> 20 Mbit/s scale
    expect(g.areas.map((a: { name: string }) => a.name)).toEqual(['wan1', 'wan2']);
    const pts = (p: string) => p.split(' ').map((xy) => xy.split(',').map(Number));
    const a1 = pts(g.areas[0].points);
    const a2 = pts(g.areas[1].points);
    // wan1 spans 0..8000 (y 200..120), wan2 sits on top of it (8000..12000: y 120..80).
    expect(a1[0]).toEqual([564, 120]);
    expect(a1[a1.length - 1]).toEqual([564, 200]);
    expect(a2[0]).toEqual([564, 80]);
    expect(a2[a2.length - 1]).toEqual([564, 120]);
    // Samples are 2 s apart over a 300 s window (12 px per 6 s); the newest one is at the right edge.
    expect(a1[9]?.[0]).toBe(600);
    expect(g.total).toHaveLength(1);
    expect(pts(g.total[0])[0]).toEqual([564, 90]);
    expect(g.yTicks.map((t: { value: number }) => t.value)).toEqual([5000, 10000, 15000, 20000]);
    expect(g.xTicks.map((t: { minutes: number }) => t.minutes)).toEqual([1, 2, 3, 4]);
    expect(g.areas[0].colour).not.toBe(g.areas[1].colour);
  });

  it('breaks the bonded line where the total is unknown', () => {
    const s = {
      t: [T0, T0 + 1000, T0 + 2000, T0 + 3000],
      links: [{ name: 'a', values: [1, null, 1, 1] }],
      total: [1, null, 1, 1],
    };
    const g = chart.layout(s, { width: 100, height: 100, windowMs: 3000, nowMs: T0 + 3000 });
    expect(g.total).toHaveLength(2);
    expect(g.areas[0].points.split(' ')).toHaveLength(8);
  });

  it('niceMax rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(chart.niceMax(0)).toBe(1000);
    expect(chart.niceMax(7)).toBe(10);
    expect(chart.niceMax(12)).toBe(20);
    expect(chart.niceMax(21)).toBe(25);
    expect(chart.niceMax(26)).toBe(50);
    expect(chart.niceMax(1000)).toBe(1000);
    expect(chart.niceMax(51_000)).toBe(100_000);
  });
});
