import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioResult } from './scenarios.js';

/**
 * The lab scenarios in the simulator, one TCP-like flow each (CUBIC + HyStart + SACK/RACK recovery, see tcp.ts),
 * with the figures of docs/scheduler.md as floors. Efficiency is goodput over what the configured links carry as
 * inner packets through the tunnel (1400/1458 of their rate). The floors sit below the measured figures with margin
 * (the runs are deterministic; `node bench/engine/sim-matrix.mjs` gives the spread over seeds); where they fall
 * short of issue 5's targets, docs/scheduler.md says why.
 */

const show = (r: ScenarioResult) =>
  console.log(
    `${r.scenario} ${r.direction}: ${(100 * r.efficiency).toFixed(1)}% (${r.goodputMbit.toFixed(1)} of ` +
      `${r.capacityMbit.toFixed(1)} Mbit/s), rtt p50/p95 ${r.rttP50.toFixed(0)}/${r.rttP95.toFixed(0)} ms, ` +
      `gap ${r.maxGapMs.toFixed(0)} ms, shares ${r.shares.join('/')}` +
      (r.recoverMs !== undefined ? `, back to 90% in ${r.recoverMs} ms` : ''),
  );

describe('one TCP flow over the bonded links (simulated lab scenarios)', () => {
  for (const direction of ['up', 'down'] as const) {
    it(`S-static ${direction}: at least 95% of the sum, RTT p95 within the slowest base RTT + 50 ms`, () => {
      const r = runScenario('S-static', direction, 1, { durationMs: 10_000 });
      show(r);
      expect(r.efficiency).toBeGreaterThanOrEqual(0.95);
      expect(r.rttP95).toBeLessThanOrEqual(r.slowestBaseRtt + 50);
      // Every link carries its part, in proportion to its capacity.
      expect(r.shares[0]).toBeGreaterThan(r.shares[1]!);
      expect(r.shares[2]).toBeGreaterThan(0.08);
      expect(r.session.skippedPackets).toBe(0);
    });
  }

  it('S-lossy up: the per-link losses never reach the TCP flow', () => {
    const r = runScenario('S-lossy', 'up', 2, { durationMs: 10_000 });
    show(r);
    // About 1% of ~30k packets lost on the links, all repaired inside the tunnel before the reorder deadline: the
    // flow's only losses are the ingress AQM's deliberate drops.
    expect(r.session.resentPackets).toBeGreaterThan(150);
    expect(r.session.skippedPackets).toBe(0);
    expect(r.tcpRetransmits).toBeLessThanOrEqual((r.session.queueDropped ?? 0) + 5);
    expect(r.tcpTimeouts).toBe(0);
    expect(r.efficiency).toBeGreaterThan(0.7);
  });

  for (const direction of ['up', 'down'] as const) {
    it(`S-cellular ${direction}: survives 10x swings and outages without timeouts or skipped holes`, () => {
      const r = runScenario('S-cellular', direction, 1, { durationMs: 10_000 });
      show(r);
      expect(r.tcpTimeouts).toBe(0);
      expect(r.session.skippedPackets).toBe(0);
      expect(r.maxGapMs).toBeLessThan(700);
      // Far from issue 5's 85% (docs/scheduler.md, "what limits cellular"); a floor against regressions.
      expect(r.efficiency).toBeGreaterThan(direction === 'up' ? 0.35 : 0.45);
    });
  }

  it('S-cut: link 1 cut mid-transfer, longest gap under 0.5 s, back to 90% of what is left within 2 s', () => {
    const r = runScenario('S-cut', 'up', 1, { durationMs: 10_000 });
    show(r);
    expect(r.maxGapMs).toBeLessThanOrEqual(500);
    expect(r.recoverMs).toBeDefined();
    expect(r.recoverMs!).toBeLessThanOrEqual(2000);
    expect(r.tcpTimeouts).toBe(0);
    expect(r.efficiency).toBeGreaterThan(0.9);
  });
});
