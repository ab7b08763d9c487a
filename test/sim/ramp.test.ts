import { describe, expect, it } from 'vitest';
import { buildSim } from './helpers.js';
import { TcpFlow } from './tcp.js';

/**
 * A direction that only carried acknowledgements (the other way's transfer) must ramp up as fast as a fresh one:
 * its paths' estimates then measure the ack trickle, not the links, and must not be taken for their capacity.
 */

const ROUTER = [10, 255, 0, 2];
const INTERNET = [192, 0, 2, 10];
const links = [
  { up: { rateMbit: 20, delayMs: 15 } },
  { up: { rateMbit: 10, delayMs: 30 } },
  { up: { rateMbit: 5, delayMs: 50 } },
];

function downloadRamp(uploadFirst: boolean): number[] {
  const { sim } = buildSim({ links, seed: 61 });
  const START = 5000;
  const up = new TcpFlow(
    sim,
    {
      // The upload ends at START - 500: its sender goes quiet (what it still tries to send is not carried).
      sendData: (p, t) => (t < START - 500 ? sim.client.onTunPacket(p, t) : undefined),
      sendAck: (p, t) => sim.server.onTunPacket(p, t),
    },
    ROUTER,
    INTERNET,
  );
  const down = new TcpFlow(
    sim,
    { sendData: (p, t) => sim.server.onTunPacket(p, t), sendAck: (p, t) => sim.client.onTunPacket(p, t) },
    INTERNET,
    ROUTER,
  );
  // The download's data comes from the internet host, its acks from the router (offset 24: 1 = data).
  const isDown = (p: Uint8Array) => (p[12] === INTERNET[0]) === (p[24] === 1);
  sim.onServerDeliver = (p, t) => (isDown(p) ? down.onPacket(p, t) : up.onPacket(p, t));
  sim.onClientDeliver = (p, t) => (isDown(p) ? down.onPacket(p, t) : up.onPacket(p, t));
  sim.run(500);
  if (uploadFirst) up.start(sim.now);
  sim.run(START);
  down.start(sim.now);
  sim.run(START + 3000);
  const out: number[] = [];
  for (let t = START; t < START + 3000; t += 500) out.push(down.mbits(t, t + 500));
  return out;
}

describe('ramp-up', () => {
  it('a download right after an upload ramps up as fast as on a fresh session', () => {
    const fresh = downloadRamp(false);
    const after = downloadRamp(true);
    console.log(`download Mbit/s per 500 ms, fresh: ${fresh.map((v) => v.toFixed(1)).join(' ')}`);
    console.log(`download Mbit/s per 500 ms, after an upload: ${after.map((v) => v.toFixed(1)).join(' ')}`);
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expect(sum(after.slice(0, 4))).toBeGreaterThan(0.85 * sum(fresh.slice(0, 4)));
  });
});
