import { describe, expect, it } from 'vitest';
import { createInitiation } from '../../src/wanbond/engine/handshake.js';
import { keyFromPrivate } from '../../src/wanbond/engine/noise.js';
import { buildSim, CLIENT_V4, cbr, INTERNET_V4, ipv4 } from './helpers.js';
import { Rng } from './netsim.js';

const link = (rateMbit: number, delayMs: number) => ({ up: { rateMbit, delayMs } });

describe('silence towards anything unauthenticated', () => {
  it('rejects replayed, truncated, bit-flipped and foreign datagrams on both sides, with no reply', () => {
    const { sim } = buildSim({ links: [link(20, 10), link(10, 20)], seed: 21 });
    const toServer: Array<{ pathId: number; bytes: Uint8Array }> = [];
    const toClient: Array<{ to: string; bytes: Uint8Array }> = [];
    sim.tap.clientToServer = (pathId, bytes) => {
      toServer.push({ pathId, bytes: Uint8Array.from(bytes) });
      return true;
    };
    sim.tap.serverToClient = (to, bytes) => {
      toClient.push({ to, bytes: Uint8Array.from(bytes) });
      return true;
    };
    sim.run(300);
    cbr(
      sim,
      300,
      50,
      100,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 600),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    cbr(
      sim,
      300,
      50,
      100,
      (i) => ipv4(INTERNET_V4, CLIENT_V4, i, 600),
      (p, t) => sim.server.onTunPacket(p, t),
    );
    sim.run(1200);
    const deliveredS = sim.toServer.length;
    const deliveredC = sim.toClient.length;
    expect(deliveredS).toBe(50);
    expect(deliveredC).toBe(50);
    const dataUp = toServer.filter((d) => d.bytes[0] === 0x14);
    const dataDown = toClient.filter((d) => d.bytes[0] === 0x14);
    const rng = new Rng(99);
    const variants = (b: Uint8Array): Uint8Array[] => {
      const out: Uint8Array[] = [b]; // replay as is
      for (const n of [0, 1, 5, 10, 25, 26, b.length - 1]) out.push(b.slice(0, n));
      for (let i = 0; i < 40; i++) {
        const f = Uint8Array.from(b);
        const pos = Math.floor(rng.next() * b.length);
        f[pos]! ^= 1 << Math.floor(rng.next() * 8);
        out.push(f);
      }
      out.push(rng.bytes(b.length), rng.bytes(148), rng.bytes(141), rng.bytes(89), rng.bytes(49));
      const typed = rng.bytes(141);
      typed[0] = 0x11; // an initiation without a valid mac1
      out.push(typed);
      return out;
    };
    const serverStatsBefore = sim.server.stats().clients[0]!.session.rxBytes;
    let attempts = 0;
    for (const d of dataUp.slice(0, 10)) {
      for (const v of variants(d.bytes)) {
        sim.server.onDatagram(d.pathId === 0 ? '198.51.100.1:40000' : '198.51.100.2:40000', v, sim.now);
        sim.server.onDatagram('192.0.2.200:1234', v, sim.now);
        expect(sim.server.pollTransmit()).toBeUndefined();
        expect(sim.server.pollDeliver()).toBeUndefined();
        attempts += 2;
      }
    }
    for (const d of dataDown.slice(0, 10)) {
      for (const v of variants(d.bytes)) {
        sim.client.onDatagram(0, v, sim.now);
        expect(sim.client.pollDeliver()).toBeUndefined();
        // The client may only send its own keepalives, never an answer: nothing is due this instant.
        expect(sim.client.pollTransmit()).toBeUndefined();
      }
    }
    expect(attempts).toBeGreaterThan(900);
    expect(sim.server.stats().clients[0]!.session.rxBytes).toBe(serverStatsBefore);
    expect(sim.server.stats().datagramsRejected! + sim.server.stats().handshakesRejected!).toBeGreaterThan(900);
    // The session is unharmed.
    sim.run(2000);
    expect(sim.client.stats().paths.every((p) => p.state === 'up')).toBe(true);
    expect(sim.client.stats().handshakes).toBe(1);
  });

  it('gives a client with an unknown key no reply at all', () => {
    const { sim } = buildSim({
      links: [link(20, 10), link(10, 20)],
      seed: 22,
      registerKey: new Uint8Array(32).fill(7),
    });
    sim.run(5000);
    expect(sim.clientSent).toBeGreaterThan(5);
    expect(sim.serverSent).toBe(0);
    expect(sim.client.stats().state).toBe('handshaking');
  });

  it('stays reachable for its client under a handshake flood (cookies), answering the flood with no handshake', () => {
    const { sim, keys } = buildSim({ links: [link(20, 10)], seed: 23 });
    const rng = new Rng(5);
    const sentToFlood: number[] = [];
    const sentToClient: number[] = [];
    sim.tap.serverToClient = (to, bytes) => {
      (to.startsWith('100.64.') ? sentToFlood : sentToClient).push(bytes[0]!);
      return true;
    };
    // The router's first attempts are lost: it must get through while the flood is on.
    sim.tap.clientToServer = () => sim.now > 1500;
    // Well-formed initiations (valid mac1, unregistered keys) from 300 sources, 400 per second for 4 s.
    const flood: Array<{ from: string; msg: Buffer }> = [];
    for (let i = 0; i < 300; i++) {
      const stat = keyFromPrivate(rng.bytes(32));
      const eph = keyFromPrivate(rng.bytes(32));
      const init = createInitiation(stat, keys.serverPub, eph, i, rng.bytes(8), undefined);
      flood.push({ from: `100.64.${i >> 8}.${i % 256}:999`, msg: init.message });
    }
    for (let i = 0; i < 1600; i++) {
      const f = flood[i % flood.length]!;
      sim.at(i * 2.5, () => sim.server.onDatagram(f.from, f.msg, sim.now));
    }
    sim.run(4000);
    expect(sim.client.stats().state).toBe('established');
    // Only cookie replies (type 0x13) ever went to the flood, and only after the load threshold.
    expect(sentToFlood.every((t) => t === 0x13)).toBe(true);
    expect(sim.server.stats().handshakesRejected).toBeGreaterThan(1500);
    // The router was asked for a cookie, then answered.
    expect(sentToClient.slice(0, 2)).toEqual([0x13, 0x12]);
  });
});
