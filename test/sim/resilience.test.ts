import { describe, expect, it } from 'vitest';
import type { Mode } from '../../src/wanbond/engine/index.js';
import { buildSim, CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4, maxGap } from './helpers.js';
import type { NetSim } from './netsim.js';

const link = (rateMbit: number, delayMs: number, extra: object = {}) => ({ up: { rateMbit, delayMs, ...extra } });
const up = (i: number) => ipv4(CLIENT_V4, INTERNET_V4, i, 1200);
const down = (i: number) => ipv4(INTERNET_V4, CLIENT_V4, i, 1200);

/** Counters delivered on each side, with their delivery times. */
function record(sim: NetSim) {
  const server: number[] = [];
  const client: number[] = [];
  const serverAt: number[] = [];
  const clientAt: number[] = [];
  sim.onServerDeliver = (p, t) => {
    server.push(counterOf(p));
    serverAt.push(t);
  };
  sim.onClientDeliver = (p, t) => {
    client.push(counterOf(p));
    clientAt.push(t);
  };
  return { server, client, serverAt, clientAt };
}

const unique = (a: number[]) => new Set(a).size;

/**
 * Every packet is delivered exactly once, except the few the ingress AQM (CoDel) chose to drop while a link change
 * made the queue stand: those are the inner TCP's congestion signal, not tunnel losses. In-flight packets are never
 * lost.
 */
function expectAllAccountedFor(sim: NetSim, r: ReturnType<typeof record>, count: number): void {
  const droppedUp = sim.client.stats().queueDropped!;
  const droppedDown = sim.server.stats().clients[0]!.session.queueDropped!;
  expect(r.server.length).toBe(unique(r.server));
  expect(r.client.length).toBe(unique(r.client));
  expect(r.server.length + droppedUp).toBe(count);
  expect(r.client.length + droppedDown).toBe(count);
  expect(droppedUp + droppedDown).toBeLessThan(count / 100);
}
const outOfOrder = (a: number[]) => a.filter((v, i) => i > 0 && v < a[i - 1]!).length;

describe('loss, reordering and path failures', () => {
  it('recovers random loss and reordering on every path without delivering twice', () => {
    const jitter = { loss: 0.02, jitterMs: 8, reorder: true };
    const { sim } = buildSim({ links: [link(20, 15, jitter), link(10, 30, jitter)], seed: 3 });
    const r = record(sim);
    sim.run(500);
    cbr(sim, 500, 2000, 1000, up, (p, t) => sim.client.onTunPacket(p, t));
    cbr(sim, 500, 2000, 1000, down, (p, t) => sim.server.onTunPacket(p, t));
    sim.run(4500);
    expectAllAccountedFor(sim, r, 2000);
    expect(sim.client.stats().resentPackets).toBeGreaterThan(0);
    // Holes are held for the resend: at most a handful arrive after the hold gave up on them.
    expect(outOfOrder(r.server) + outOfOrder(r.client)).toBeLessThan(20);
  });

  it('moves traffic off a dead path within a fraction of a second and readmits it when it returns', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30), link(5, 50)], seed: 4 });
    const r = record(sim);
    sim.run(500);
    // 12 Mbit/s each way: more than the third path, less than the two that survive.
    cbr(sim, 500, 12_000, 1250, up, (p, t) => sim.client.onTunPacket(p, t));
    cbr(sim, 500, 12_000, 1250, down, (p, t) => sim.server.onTunPacket(p, t));
    const states: string[] = [];
    sim.at(3000, () => {
      sim.paths[0]!.up.setUp(false);
      sim.paths[0]!.down.setUp(false);
    });
    sim.at(4000, () => states.push(sim.client.stats().paths[0]!.state));
    sim.at(6000, () => {
      sim.paths[0]!.up.setUp(true);
      sim.paths[0]!.down.setUp(true);
    });
    sim.run(11_000);
    expect(states).toEqual(['suspect']);
    expectAllAccountedFor(sim, r, 12_000);
    expect(maxGap(r.serverAt, 2500, 9000)).toBeLessThan(400);
    expect(maxGap(r.clientAt, 2500, 9000)).toBeLessThan(400);
    const c = sim.client.stats();
    expect(c.paths[0]!.state).toBe('up');
    expect(c.resentPackets).toBeGreaterThan(0);
    // Back in use after it proved itself.
    expect(c.paths[0]!.share).toBeGreaterThan(0.2);
  });

  it('follows a path whose address changes, without a new handshake', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30)], seed: 5 });
    const r = record(sim);
    sim.run(500);
    cbr(sim, 500, 4000, 1000, up, (p, t) => sim.client.onTunPacket(p, t));
    cbr(sim, 500, 4000, 1000, down, (p, t) => sim.server.onTunPacket(p, t));
    sim.at(2000, () => {
      sim.paths[0]!.address = '203.0.113.77:51000';
      sim.client.onPathChange(0, 'address', sim.now);
    });
    sim.run(5500);
    const s = sim.server.stats().clients[0]!.session;
    expect(s.paths.find((p) => p.pathId === 0)!.address).toBe('203.0.113.77:51000');
    expect(s.handshakes).toBe(1);
    expect(sim.client.stats().handshakes).toBe(1);
    expect(unique(r.server)).toBe(4000);
    expect(unique(r.client)).toBe(4000);
    expect(maxGap(r.clientAt, 1500, 4400)).toBeLessThan(300);
  });

  it('rekeys on volume too', () => {
    const { sim } = buildSim({ links: [link(20, 15)], seed: 11, timing: { rekeyAfterPackets: 300 } });
    const r = record(sim);
    sim.run(500);
    cbr(sim, 500, 3000, 1000, up, (p, t) => sim.client.onTunPacket(p, t));
    sim.run(4000);
    // At most one handshake per second (handshake retry interval), so volume rekeys are paced too.
    expect(sim.client.stats().handshakes).toBeGreaterThanOrEqual(4);
    expect(r.server).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('rekeys during traffic without losing or reordering a packet', () => {
    const timing = { rekeyAfterMs: 2000, rejectAfterMs: 3500 };
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30)], seed: 6, timing });
    const r = record(sim);
    sim.run(500);
    cbr(sim, 500, 8000, 1000, up, (p, t) => sim.client.onTunPacket(p, t));
    cbr(sim, 500, 8000, 1000, down, (p, t) => sim.server.onTunPacket(p, t));
    sim.run(9500);
    expect(sim.client.stats().handshakes).toBeGreaterThanOrEqual(4);
    expect(sim.client.stats().handshakes).toBeLessThanOrEqual(6);
    expect(sim.server.stats().clients[0]!.session.handshakes).toBeGreaterThanOrEqual(4);
    expect(r.server).toEqual(Array.from({ length: 8000 }, (_, i) => i));
    expect(r.client).toEqual(Array.from({ length: 8000 }, (_, i) => i));
  });
});

describe('modes', () => {
  it('redundant: copies on two paths hide one lossy path, the receiver drops duplicates', () => {
    const { sim } = buildSim({
      links: [link(20, 15, { loss: 0.05 }), link(10, 20)],
      mode: 'redundant',
      seed: 7,
    });
    const r = record(sim);
    sim.run(500);
    cbr(sim, 500, 2000, 500, up, (p, t) => sim.client.onTunPacket(p, t));
    sim.run(5000);
    expect(r.server.length).toBe(2000);
    expect(unique(r.server)).toBe(2000);
    const c = sim.client.stats();
    expect(c.duplicatesSent).toBeGreaterThan(1900);
    expect(sim.server.stats().clients[0]!.session.duplicatePackets).toBeGreaterThan(1500);
  });

  it('failover: one path carries everything until it dies, then the next best takes over', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30), link(5, 50)], mode: 'failover', seed: 8 });
    const r = record(sim);
    sim.run(500);
    cbr(
      sim,
      500,
      4000,
      1000,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 700),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    let sharesBefore: number[] = [];
    sim.at(2400, () => {
      sharesBefore = sim.client.stats().paths.map((p) => p.share);
    });
    sim.at(2500, () => sim.paths[0]!.up.setUp(false));
    let txAtCut: number[] = [];
    sim.at(3000, () => {
      txAtCut = sim.client.stats().paths.map((p) => p.txBytes);
    });
    sim.run(5500);
    expect(sharesBefore[0]).toBeGreaterThan(0.99);
    expect(r.server.length).toBe(unique(r.server));
    expect(unique(r.server) + sim.client.stats().queueDropped!).toBe(4000);
    expect(sim.client.stats().queueDropped!).toBeLessThan(40);
    expect(maxGap(r.serverAt, 2000, 4400)).toBeLessThan(500);
    const sent = sim.client.stats().paths.map((p, i) => p.txBytes - txAtCut[i]!);
    expect(sent[1]! / (sent[0]! + sent[1]! + sent[2]!)).toBeGreaterThan(0.95);
  });

  it('a classify hook picks the mode per packet', () => {
    // Odd counters are "stream" traffic sent redundantly; the rest is bonded.
    const classify = (p: Uint8Array): Mode => (counterOf(p) % 2 === 1 ? 'redundant' : 'bond');
    const { sim } = buildSim({ links: [link(20, 15), link(10, 20)], seed: 10, classify });
    sim.run(500);
    cbr(sim, 500, 200, 200, up, (p, t) => sim.client.onTunPacket(p, t));
    sim.run(2500);
    expect(sim.client.stats().duplicatesSent).toBe(100);
    expect(sim.toServer.length).toBe(200);
  });

  it('setMode switches the session mode on the fly', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 20)], seed: 9 });
    sim.run(500);
    sim.client.setMode('redundant');
    cbr(sim, 500, 200, 200, up, (p, t) => sim.client.onTunPacket(p, t));
    sim.run(2000);
    expect(sim.client.stats().duplicatesSent).toBe(200);
  });
});
