import { describe, expect, it } from 'vitest';
import { createServerEngine } from '../../src/wanbond/engine/index.js';
import { buildSim, CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4 } from './helpers.js';
import { NetSim } from './netsim.js';

const link = (rateMbit: number, delayMs: number) => ({ up: { rateMbit, delayMs } });

describe('a server that restarts and forgets the session', () => {
  it('gets its router back within 3 s, by itself, in both directions', () => {
    // Found by issue 11's fault tests: the router re-handshook, but kept its packet numbers and sequence while the
    // new server started from zero, so its replay windows dropped everything: no traffic ever again.
    const { sim, keys } = buildSim({ links: [link(20, 10), link(10, 25)], seed: 3 });
    cbr(
      sim,
      0,
      300,
      100,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 300),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    cbr(
      sim,
      0,
      300,
      100,
      (i) => ipv4(INTERNET_V4, CLIENT_V4, i, 300),
      (p, t) => sim.server.onTunPacket(p, t),
    );
    sim.run(3500);
    expect(sim.toServer.length).toBe(300);
    const restarted = createServerEngine({
      privateKey: keys.serverPriv,
      clients: [{ name: 'router1', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: [] }],
      now: sim.now,
    });
    const after = new NetSim(sim.client, restarted, sim.paths);
    after.now = sim.now;
    const t0 = sim.now;
    const up: Array<{ n: number; t: number }> = [];
    const down: Array<{ n: number; t: number }> = [];
    after.onServerDeliver = (p, t) => up.push({ n: counterOf(p), t });
    after.onClientDeliver = (p, t) => down.push({ n: counterOf(p), t });
    const n = 1000;
    cbr(
      after,
      t0,
      n,
      100,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, 10_000 + i, 300),
      (p, t) => after.client.onTunPacket(p, t),
    );
    cbr(
      after,
      t0,
      n,
      100,
      (i) => ipv4(INTERNET_V4, CLIENT_V4, 10_000 + i, 300),
      (p, t) => restarted.onTunPacket(p, t),
    );
    after.run(t0 + 12_000);
    expect(up[0]!.t - t0).toBeLessThanOrEqual(3000);
    expect(down[0]!.t - t0).toBeLessThanOrEqual(3000);
    // From then on nothing is lost or duplicated.
    for (const got of [up, down]) {
      const ns = got.map((g) => g.n);
      expect(new Set(ns).size).toBe(ns.length);
      expect(ns.at(-1)).toBe(10_000 + n - 1);
      expect(ns.length).toBeGreaterThan(n - 300);
    }
    const c = sim.client.stats();
    expect(c.state).toBe('established');
    expect(c.paths.every((p) => p.state === 'up')).toBe(true);
    // Totals carry over the fresh session.
    expect(c.txBytes).toBeGreaterThan(1300 * 300);
  });
});
