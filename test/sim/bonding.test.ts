import { describe, expect, it } from 'vitest';
import { TYPE_DATA } from '../../src/wanbond/engine/constants.js';
import { buildSim, CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4, maxGap } from './helpers.js';
import type { LinkSpec } from './netsim.js';
import { TcpFlow } from './tcp.js';

/** The bonding behaviours of issue 5, pinned one by one on small deterministic setups. */

const ROUTER = [10, 255, 0, 2];
const INTERNET = [192, 0, 2, 10];
const link = (rateMbit: number, delayMs: number, extra: Partial<LinkSpec> = {}) => ({
  up: { rateMbit, delayMs, ...extra },
});

describe('bonding behaviours', () => {
  it('a path whose capacity drops 10x gets no more than its fair share within 1 s', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30), link(5, 50)], seed: 51 });
    const flow = new TcpFlow(
      sim,
      { sendData: (p, t) => sim.client.onTunPacket(p, t), sendAck: (p, t) => sim.server.onTunPacket(p, t) },
      ROUTER,
      INTERNET,
    );
    sim.onServerDeliver = (p, t) => flow.onPacket(p, t);
    sim.onClientDeliver = (p, t) => flow.onPacket(p, t);
    // Data datagrams per path, per 250-ms slot.
    const slots = new Map<number, number[]>();
    sim.tap.clientToServer = (pathId, bytes) => {
      if (bytes[0] === TYPE_DATA) {
        const slot = Math.floor(sim.now / 250);
        const row = slots.get(slot) ?? [0, 0, 0];
        row[pathId]! += 1;
        slots.set(slot, row);
      }
      return true;
    };
    const DROP_AT = 4000;
    sim.at(DROP_AT, () => {
      sim.paths[0]!.up.spec.rateMbit = 2;
    });
    sim.run(500);
    flow.start(sim.now);
    sim.run(6500);
    const share = (from: number, to: number) => {
      let mine = 0;
      let all = 0;
      for (let s = from / 250; s < to / 250; s++) {
        const row = slots.get(s) ?? [0, 0, 0];
        mine += row[0]!;
        all += row[0]! + row[1]! + row[2]!;
      }
      return mine / all;
    };
    const before = share(DROP_AT - 1000, DROP_AT);
    const fair = 2 / (2 + 10 + 5);
    expect(before).toBeGreaterThan(0.45);
    // From 1 s after the drop on, the path carries at most its new fair share (plus 10% of it for rounding).
    expect(share(DROP_AT + 1000, DROP_AT + 2500)).toBeLessThan(fair * 1.1);
    // And the flow goes on at the capacity that is left.
    expect(flow.mbits(DROP_AT + 1000, DROP_AT + 2500)).toBeGreaterThan(0.8 * 17 * (1400 / 1458));
  });

  it('a 1%-lossy path causes no in-order delivery gap beyond the reorder deadline', () => {
    const lossy = { loss: 0.01 };
    const { sim } = buildSim({ links: [link(20, 15, lossy), link(10, 30), link(5, 50)], seed: 52 });
    const got: number[] = [];
    const at: number[] = [];
    sim.onServerDeliver = (p, t) => {
      got.push(counterOf(p));
      at.push(t);
    };
    sim.run(500);
    // 15 Mbit/s of 1200-byte packets for 4 s: about 200 losses on the lossy path.
    const COUNT = 6250;
    cbr(
      sim,
      500,
      COUNT,
      1562.5,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 1200),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    sim.run(5500);
    const st = sim.server.stats().clients[0]!.session;
    const sent = sim.client.stats();
    expect(sent.resentPackets).toBeGreaterThan(20);
    // Every hole was filled before the deadline: nothing skipped, nothing late, every packet once and in order.
    expect(st.skippedPackets).toBe(0);
    expect(st.lateDelivered).toBe(0);
    expect(got.length + (sent.queueDropped ?? 0)).toBe(COUNT);
    expect(got.every((v, i) => i === 0 || v > got[i - 1]!)).toBe(true);
    // A repair takes a round trip on the fast path, far less than the hold.
    expect(maxGap(at, 1000, 4500)).toBeLessThan(80);
  });

  it("a cut path's in-flight packets are all delivered, with no gap over 0.5 s", () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30), link(5, 50)], seed: 53 });
    const got: number[] = [];
    const at: number[] = [];
    sim.onServerDeliver = (p, t) => {
      got.push(counterOf(p));
      at.push(t);
    };
    const gotDown: number[] = [];
    sim.onClientDeliver = (p) => gotDown.push(counterOf(p));
    sim.run(500);
    // 12 Mbit/s each way: path 1 carries about half of it when it is cut.
    const COUNT = 5000;
    cbr(
      sim,
      500,
      COUNT,
      1250,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 1200),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    cbr(
      sim,
      500,
      COUNT,
      1250,
      (i) => ipv4(INTERNET_V4, CLIENT_V4, i, 1200),
      (p, t) => sim.server.onTunPacket(p, t),
    );
    let inflightAtCut = 0;
    sim.at(2500, () => {
      inflightAtCut = sim.client.stats().paths[0]!.inflightBytes ?? 0;
      sim.paths[0]!.up.setUp(false);
      sim.paths[0]!.down.setUp(false);
    });
    sim.run(6000);
    expect(inflightAtCut).toBeGreaterThan(10_000);
    // Everything that entered the tunnel arrives, once; the only packets missing are the few the ingress AQM
    // dropped while the queue stood for a moment (the inner TCP's congestion signal, not a tunnel loss).
    const droppedUp = sim.client.stats().queueDropped!;
    const droppedDown = sim.server.stats().clients[0]!.session.queueDropped!;
    expect(new Set(got).size).toBe(got.length);
    expect(got.length + droppedUp).toBe(COUNT);
    expect(new Set(gotDown).size).toBe(gotDown.length);
    expect(gotDown.length + droppedDown).toBe(COUNT);
    expect(droppedUp + droppedDown).toBeLessThan(COUNT / 200);
    expect(maxGap(at, 1000, 4500)).toBeLessThan(500);
    expect(sim.server.stats().clients[0]!.session.skippedPackets).toBe(0);
  });

  it('stats report per-path capacity, share, queue and the session overheads', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 30), link(5, 50)], seed: 54 });
    const flow = new TcpFlow(
      sim,
      { sendData: (p, t) => sim.client.onTunPacket(p, t), sendAck: (p, t) => sim.server.onTunPacket(p, t) },
      ROUTER,
      INTERNET,
    );
    sim.onServerDeliver = (p, t) => flow.onPacket(p, t);
    sim.onClientDeliver = (p, t) => flow.onPacket(p, t);
    sim.run(500);
    flow.start(sim.now);
    sim.run(5000);
    const st = sim.client.stats();
    const rates = [20_000, 10_000, 5_000];
    st.paths.forEach((p, i) => {
      expect(p.state).toBe('up');
      // Estimates of the wire rate (the simulator charges 28 bytes of IP/UDP the engine does not count).
      expect(p.capacityUpKbit! / rates[i]!).toBeGreaterThan(0.85);
      expect(p.capacityUpKbit! / rates[i]!).toBeLessThan(1.1);
      expect(p.queueDelayMs).toBeLessThan(40);
      expect(p.stalled).toBe(false);
    });
    // The server learns the router's upload estimates from ESTIMATE frames.
    expect(sim.server.stats().clients[0]!.session.paths[0]!.capacityUpKbit).toBeGreaterThan(15_000);
    expect(st.paths.map((p) => p.share)).toEqual([...st.paths.map((p) => p.share)].sort((a, b) => b - a));
    expect(st.duplicateOverhead).toBeLessThan(0.02);
    expect(st.bondedOfEstimates).toBeGreaterThan(0.85);
    expect(st.bondedOfEstimates).toBeLessThan(1.05);
    expect(st.sendRateKbit).toBeGreaterThan(25_000);
  });
});
