import { describe, expect, it } from 'vitest';
import type { Mode } from '../../src/wanbond/engine/index.js';
import { buildSim, CLIENT_V4, counterOf, INTERNET_V4, ipv4 } from './helpers.js';
import { Rng } from './netsim.js';

/**
 * Random link cuts, address changes, path removals, mode switches and traffic in both directions. The simulator
 * throws if an engine asks for a timer it never clears (a busy loop in the real daemon); delivery must stay
 * duplicate-free, and the session must recover once the links are healthy again.
 */
describe('chaos', () => {
  for (const seed of [101, 202, 303]) {
    it(`survives random failures (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const links = [
        { up: { rateMbit: 8, delayMs: 10, loss: 0.01 } },
        { up: { rateMbit: 4, delayMs: 25, jitterMs: 5, reorder: true } },
        { up: { rateMbit: 2, delayMs: 40 } },
      ];
      const { sim } = buildSim({ links, seed, timing: { rekeyAfterMs: 4000, rejectAfterMs: 6000 } });
      const modes: Mode[] = ['bond', 'redundant', 'failover'];
      let n = 0;
      for (let t = 200; t < 12_000; t += 2 + rng.next() * 4) {
        const i = n++;
        sim.at(t, () => sim.client.onTunPacket(ipv4(CLIENT_V4, INTERNET_V4, i, 100 + (i % 1300)), sim.now));
        sim.at(t + 1, () => sim.server.onTunPacket(ipv4(INTERNET_V4, CLIENT_V4, i, 100 + (i % 900)), sim.now));
      }
      for (let t = 500; t < 9000; t += 300 + rng.next() * 700) {
        const p = sim.paths[Math.floor(rng.next() * 3)]!;
        const action = Math.floor(rng.next() * 6);
        sim.at(t, () => {
          if (action === 0) {
            p.up.setUp(false);
            p.down.setUp(false);
          } else if (action === 1) {
            p.up.setUp(true);
            p.down.setUp(true);
          } else if (action === 2) {
            p.address = `203.0.113.${Math.floor(rng.next() * 250)}:${1000 + Math.floor(rng.next() * 60000)}`;
            sim.client.onPathChange(p.id, 'address', sim.now);
          } else if (action === 3) sim.client.removePath(p.id);
          else if (action === 4) sim.client.addPath(p.id, `wan${p.id}`);
          else sim.client.setMode(modes[Math.floor(rng.next() * 3)]!);
        });
      }
      sim.at(9000, () => {
        sim.client.setMode('bond');
        for (const p of sim.paths) {
          p.up.setUp(true);
          p.down.setUp(true);
          sim.client.addPath(p.id, `wan${p.id}`);
        }
      });
      sim.run(14_000);
      const up = sim.toServer.map(counterOf);
      const down = sim.toClient.map(counterOf);
      expect(new Set(up).size).toBe(up.length);
      expect(new Set(down).size).toBe(down.length);
      // After the storm everything sent gets through.
      const lateUp = up.filter((c) => c >= n - 300).length;
      const lateDown = down.filter((c) => c >= n - 300).length;
      expect(lateUp).toBe(300);
      expect(lateDown).toBe(300);
      expect(sim.client.stats().paths.every((p) => p.state === 'up')).toBe(true);
      expect(sim.client.stats().handshakes).toBeGreaterThanOrEqual(2);
    });
  }
});
