import { describe, expect, it } from 'vitest';
import { buildSim } from './helpers.js';
import { TcpFlow } from './tcp.js';

const ROUTER = [10, 255, 0, 2];
const INTERNET = [192, 0, 2, 10];
const SUM_MBIT = 35;

/** One TCP-like flow over 20/10/5 Mbit/s links with 15/30/50 ms one-way delay; goodput of inner IP bytes. */
function singleFlow(direction: 'up' | 'down', seed: number): { mbit: number; shares: number[] } {
  const links = [
    { up: { rateMbit: 20, delayMs: 15 } },
    { up: { rateMbit: 10, delayMs: 30 } },
    { up: { rateMbit: 5, delayMs: 50 } },
  ];
  const { sim } = buildSim({ links, seed });
  const toServer = (p: Uint8Array, t: number) => sim.client.onTunPacket(p, t);
  const toClient = (p: Uint8Array, t: number) => sim.server.onTunPacket(p, t);
  const flow =
    direction === 'up'
      ? new TcpFlow(sim, { sendData: toServer, sendAck: toClient }, ROUTER, INTERNET)
      : new TcpFlow(sim, { sendData: toClient, sendAck: toServer }, INTERNET, ROUTER);
  sim.onServerDeliver = (p, t) => flow.onPacket(p, t);
  sim.onClientDeliver = (p, t) => flow.onPacket(p, t);
  sim.run(500);
  flow.start(sim.now);
  sim.run(8000);
  const stats = direction === 'up' ? sim.client.stats() : sim.server.stats().clients[0]!.session;
  return { mbit: flow.mbits(3500, 8000), shares: stats.paths.map((p) => p.share) };
}

describe('one TCP-like flow over three heterogeneous paths', () => {
  for (const direction of ['up', 'down'] as const) {
    it(`reaches most of the sum of the links (${direction})`, () => {
      const { mbit, shares } = singleFlow(direction, direction === 'up' ? 31 : 32);
      console.log(
        `single flow ${direction}: ${mbit.toFixed(1)} Mbit/s of ${SUM_MBIT} (${((100 * mbit) / SUM_MBIT).toFixed(1)}%),` +
          ` shares ${shares.map((s) => s.toFixed(2)).join('/')}`,
      );
      // Well above the best single link (20): every path carries its part.
      expect(mbit).toBeGreaterThan(0.8 * SUM_MBIT);
      expect(shares[2]).toBeGreaterThan(0.08);
    });
  }
});
