import { describe, expect, it } from 'vitest';
import { DATA_OVERHEAD } from '../../src/wanbond/engine/index.js';
import { buildSim, CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4, ipv6 } from './helpers.js';

const clean = (rateMbit: number, delayMs: number) => ({ up: { rateMbit, delayMs } });

describe('handshake and clean data', () => {
  it('establishes a session and probes every path up', () => {
    const { sim } = buildSim({ links: [clean(20, 15), clean(10, 30)] });
    sim.run(1000);
    const c = sim.client.stats();
    expect(c.state).toBe('established');
    expect(c.handshakes).toBe(1);
    expect(c.paths.map((p) => p.state)).toEqual(['up', 'up']);
    const s = sim.server.stats().clients[0]!;
    expect(s.session.state).toBe('established');
    expect(s.session.paths.map((p) => p.address).sort()).toEqual(['198.51.100.1:40000', '198.51.100.2:40000']);
    expect(c.paths[0]!.rttMs).toBeGreaterThanOrEqual(30);
    expect(c.paths[0]!.rttMs).toBeLessThan(40);
  });

  it('keeps the data overhead at 30 bytes', () => {
    expect(DATA_OVERHEAD).toBe(30);
    const { sim } = buildSim({ links: [clean(20, 10)] });
    sim.run(500);
    const sizes: number[] = [];
    sim.tap.clientToServer = (_p, b) => {
      if (b[0] === 0x14) sizes.push(b.length);
      return true;
    };
    sim.client.onTunPacket(ipv4(CLIENT_V4, INTERNET_V4, 1, 1000), sim.now);
    sim.run(600);
    expect(sizes).toEqual([1030]);
  });

  for (const n of [1, 2, 3]) {
    it(`carries data both ways byte-exact and in order over ${n} path(s)`, () => {
      const links = [clean(20, 15), clean(10, 30), clean(5, 50)].slice(0, n);
      const { sim } = buildSim({ links, seed: 10 + n });
      sim.run(500);
      const count = 3000;
      const up = (i: number) => ipv4(CLIENT_V4, INTERNET_V4, i, 200 + ((i * 97) % 1200));
      const down = (i: number) => ipv4(INTERNET_V4, CLIENT_V4, i, 200 + ((i * 89) % 1200));
      // About 80% of the sum of the paths' capacity (packets average ~800 bytes): more than the best path alone.
      const rate = (n === 1 ? 20 : n === 2 ? 30 : 35) * 0.8 * 156;
      cbr(sim, 500, count, rate, up, (p, t) => sim.client.onTunPacket(p, t));
      cbr(sim, 500, count, rate, down, (p, t) => sim.server.onTunPacket(p, t));
      sim.run(500 + (count / rate) * 1000 + 2000);
      expect(sim.toServer.length).toBe(count);
      expect(sim.toClient.length).toBe(count);
      let badUp = 0;
      let badDown = 0;
      for (let i = 0; i < count; i++) {
        if (!Buffer.from(sim.toServer[i]!).equals(Buffer.from(up(i)))) badUp++;
        if (!Buffer.from(sim.toClient[i]!).equals(Buffer.from(down(i)))) badDown++;
      }
      expect([badUp, badDown]).toEqual([0, 0]);
      const c = sim.client.stats();
      if (n > 1) for (const p of c.paths) expect(p.share).toBeGreaterThan(0.02);
      expect(c.lateDelivered).toBe(0);
    });
  }

  it('carries IPv6 and routes by longest prefix', () => {
    const { sim } = buildSim({ links: [clean(20, 10)] });
    sim.run(500);
    const a = Buffer.from('fd00025500000000000000000000000' + '2', 'hex');
    const b = Buffer.from('20010db8000000000000000000000001', 'hex');
    sim.client.onTunPacket(ipv6(a, b, 7, 500), sim.now);
    sim.server.onTunPacket(ipv6(b, a, 8, 500), sim.now);
    // A LAN host behind the router (routed subnet) and an address nobody owns.
    sim.server.onTunPacket(ipv4(INTERNET_V4, '192.168.1.20', 9, 300), sim.now);
    sim.server.onTunPacket(ipv4(INTERNET_V4, '192.168.2.20', 10, 300), sim.now);
    sim.run(700);
    expect(sim.toServer.map(counterOf)).toEqual([7]);
    expect(sim.toClient.map(counterOf).sort()).toEqual([8, 9]);
  });

  it('drops inner packets whose source the client does not own', () => {
    const { sim } = buildSim({ links: [clean(20, 10)] });
    sim.run(500);
    sim.client.onTunPacket(ipv4('10.9.9.9', INTERNET_V4, 1, 100), sim.now);
    sim.client.onTunPacket(ipv4('192.168.1.7', INTERNET_V4, 2, 100), sim.now);
    sim.run(700);
    expect(sim.toServer.map(counterOf)).toEqual([2]);
    expect(sim.server.stats().spoofedDropped).toBe(1);
  });
});
