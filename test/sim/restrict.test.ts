/**
 * Path restriction: a policy's `use_link` (the classify hook's path mask) and the session-wide pin (the speed
 * test's "one link alone", carried to the server by the PIN frame), in every mode, with their fallbacks.
 */
import { describe, expect, it } from 'vitest';
import { createClientEngine, createServerEngine, type Mode, type PathChoice } from '../../src/wanbond/engine/index.js';
import { pathMask } from '../../src/wanbond/engine/scheduler.js';
import { CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4, makeKeys } from './helpers.js';
import { Link, type LinkSpec, NetSim, Rng, type SimPath } from './netsim.js';

const TYPE_DATA = 0x14;
const TYPE_CONTROL = 0x15;
/** Inner destinations: the restricted policy's, and anything else (unrestricted). */
const RESTRICTED_V4 = '192.0.2.77';
const up = (i: number, dst = INTERNET_V4) => ipv4(CLIENT_V4, dst, i, 1200);
const down = (i: number) => ipv4(INTERNET_V4, CLIENT_V4, i, 1200);

interface Built {
  sim: NetSim;
  /** Data datagrams per path id, router -> server and server -> router. */
  dataUp: number[];
  dataDown: number[];
  delivered: { server: number[]; client: number[] };
}

/** Constant-rate inner traffic in both directions at once: `count` packets each way from `at`, `perSecond`. */
function bothWays(b: Built, at: number, count: number, perSecond: number): void {
  cbr(b.sim, at, count, perSecond, up, (p, t) => b.sim.client.onTunPacket(p, t));
  cbr(b.sim, at, count, perSecond, down, (p, t) => b.sim.server.onTunPacket(p, t));
}

/** Like helpers' buildSim, with a classify hook that may return a path choice. */
function build(o: {
  links: LinkSpec[];
  mode?: Mode;
  seed?: number;
  classify?: (p: Uint8Array) => Mode | PathChoice;
}): Built {
  const rng = new Rng(o.seed ?? 1);
  const keys = makeKeys(rng);
  const random = (n: number) => rng.bytes(n);
  const paths: SimPath[] = o.links.map((spec, i) => ({
    id: i,
    up: new Link(spec, rng),
    down: new Link(spec, rng),
    address: `198.51.100.${i + 1}:40000`,
  }));
  const client = createClientEngine({
    privateKey: keys.clientPriv,
    serverPublicKey: keys.serverPub,
    paths: paths.map((p) => ({ id: p.id, name: `wan${p.id}` })),
    mode: o.mode ?? 'bond',
    now: 0,
    random,
    ...(o.classify ? { classify: o.classify } : {}),
  });
  const server = createServerEngine({
    privateKey: keys.serverPriv,
    clients: [{ name: 'router1', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: [] }],
    now: 0,
    random,
  });
  const sim = new NetSim(client, server, paths);
  const dataUp = paths.map(() => 0);
  const dataDown = paths.map(() => 0);
  sim.tap = {
    clientToServer: (pathId, b) => {
      if (b[0] === TYPE_DATA) dataUp[pathId]!++;
      return true;
    },
    serverToClient: (to, b) => {
      if (b[0] === TYPE_DATA) dataDown[paths.findIndex((p) => p.address === to)]!++;
      return true;
    },
  };
  const delivered = { server: [] as number[], client: [] as number[] };
  sim.onServerDeliver = (p) => delivered.server.push(counterOf(p));
  sim.onClientDeliver = (p) => delivered.client.push(counterOf(p));
  return { sim, dataUp, dataDown, delivered };
}

const clean = (rateMbit: number, delayMs: number): LinkSpec => ({ rateMbit, delayMs });
const destOf = (p: Uint8Array) => p.subarray(16, 20).join('.');
/** Packets to RESTRICTED_V4 may use only `allowed` (as a policy's use_link would say), in `mode`. */
const policy = (allowed: number[], mode: Mode = 'bond') => {
  const choice: PathChoice = Object.freeze({ mode, paths: pathMask(allowed) });
  return (p: Uint8Array): Mode | PathChoice => (destOf(p) === RESTRICTED_V4 ? choice : 'bond');
};
const cut = (sim: NetSim, i: number, on: boolean) => {
  sim.paths[i]!.up.setUp(on);
  sim.paths[i]!.down.setUp(on);
};
const unique = (a: number[]) => new Set(a).size;

describe('policy use_link: the engine keeps restricted packets on their paths', () => {
  for (const mode of ['bond', 'redundant', 'failover'] as const) {
    it(`${mode}: only the allowed paths carry the policy's packets, all of them arrive`, () => {
      const b = build({ links: [clean(20, 10), clean(10, 20), clean(10, 30)], classify: policy([1, 2], mode) });
      b.sim.run(500);
      // Bond: 14 Mbit/s, more than either allowed path; one copy per path (redundant) or one path: 5.8 Mbit/s.
      const rate = mode === 'bond' ? 1500 : 600;
      cbr(
        b.sim,
        500,
        1000,
        rate,
        (i) => up(i, RESTRICTED_V4),
        (p, t) => b.sim.client.onTunPacket(p, t),
      );
      b.sim.run(3500);
      expect(unique(b.delivered.server)).toBe(1000);
      expect(b.dataUp[0]).toBe(0);
      if (mode === 'failover') expect(Math.min(b.dataUp[1]!, b.dataUp[2]!)).toBe(0);
      else expect(Math.min(b.dataUp[1]!, b.dataUp[2]!)).toBeGreaterThan(0);
      // Nearly every packet twice (a copy is skipped when the second path has no window room at that moment).
      if (mode === 'redundant') expect(b.dataUp[1]! + b.dataUp[2]!).toBeGreaterThan(1900);
      expect(b.sim.client.stats().restrictedFallbacks).toBe(0);
    });
  }

  it('unrestricted packets keep every path, and do not wait behind restricted ones whose path is full', () => {
    // The policy's one path (2 Mbit/s) is offered twice what it carries; the rest goes over all three.
    const b = build({ links: [clean(20, 10), clean(20, 10), clean(2, 10)], classify: policy([2]) });
    b.sim.run(500);
    cbr(
      b.sim,
      500,
      800,
      400,
      (i) => up(100_000 + i, RESTRICTED_V4),
      (p, t) => b.sim.client.onTunPacket(p, t),
    );
    cbr(
      b.sim,
      500,
      4000,
      2000,
      (i) => up(i),
      (p, t) => b.sim.client.onTunPacket(p, t),
    );
    b.sim.run(3000);
    const free = b.delivered.server.filter((c) => c < 100_000);
    const restricted = b.delivered.server.filter((c) => c >= 100_000);
    // 19 Mbit/s of unrestricted traffic: the two fast paths carry it, whatever the slow one does.
    expect(unique(free)).toBe(4000);
    // The restricted flow gets its path's capacity (2 Mbit/s ~ 200 packets/s of 1200 bytes), the excess is dropped.
    expect(restricted.length).toBeGreaterThan(300);
    expect(restricted.length).toBeLessThan(560);
    expect(b.dataUp[0]! + b.dataUp[1]!).toBeGreaterThan(3500);
  });

  it('falls back to the other paths while none of its own is up (counted), and returns when one is', () => {
    const b = build({ links: [clean(20, 10), clean(10, 20)], classify: policy([1]) });
    b.sim.run(500);
    cbr(
      b.sim,
      500,
      3000,
      500,
      (i) => up(i, RESTRICTED_V4),
      (p, t) => b.sim.client.onTunPacket(p, t),
    );
    const onPath0: number[] = [];
    b.sim.at(1500, () => {
      onPath0.push(b.dataUp[0]!);
      cut(b.sim, 1, false);
    });
    b.sim.at(3500, () => {
      onPath0.push(b.dataUp[0]!);
      cut(b.sim, 1, true);
    });
    b.sim.at(5500, () => onPath0.push(b.dataUp[0]!));
    b.sim.run(7000);
    const [before, during, after] = [onPath0[0]!, onPath0[1]! - onPath0[0]!, b.dataUp[0]! - onPath0[2]!];
    expect(before).toBe(0);
    // 2 s of 500 packets/s moved over (minus the moment it takes to notice the cut).
    expect(during).toBeGreaterThan(700);
    expect(after).toBe(0);
    expect(b.sim.client.stats().restrictedFallbacks).toBeGreaterThan(700);
    expect(b.sim.client.stats().paths[1]!.state).toBe('up');
    // Nothing lost but what the ingress AQM chose to drop while the cut was being noticed.
    expect(unique(b.delivered.server) + b.sim.client.stats().queueDropped!).toBe(3000);
  });

  it('re-sends of lost restricted packets stay on the allowed paths', () => {
    const lossy: LinkSpec = { rateMbit: 10, delayMs: 15, loss: 0.03 };
    const b = build({ links: [lossy, lossy, clean(50, 5)], classify: policy([0, 1]), seed: 7 });
    b.sim.run(500);
    cbr(
      b.sim,
      500,
      2000,
      600,
      (i) => up(i, RESTRICTED_V4),
      (p, t) => b.sim.client.onTunPacket(p, t),
    );
    b.sim.run(5000);
    expect(b.sim.client.stats().resentPackets).toBeGreaterThan(20);
    expect(b.dataUp[2]).toBe(0);
    expect(unique(b.delivered.server)).toBe(2000);
  });
});

describe('pin: one path for the whole session, both directions', () => {
  it('moves both directions onto the pinned path in every mode, and back when unpinned', () => {
    for (const mode of ['bond', 'redundant', 'failover'] as const) {
      const b = build({ links: [clean(20, 10), clean(10, 20), clean(10, 30)], mode });
      b.sim.run(500);
      b.sim.client.pinPath(2, b.sim.now);
      b.sim.run(600);
      expect(b.sim.server.stats().clients[0]!.session.pinnedPath).toBe(2);
      expect(b.sim.client.stats().pinnedPath).toBe(2);
      bothWays(b, 600, 500, 250);
      b.sim.run(2800);
      expect([mode, b.dataUp[0], b.dataUp[1], b.dataDown[0], b.dataDown[1]]).toEqual([mode, 0, 0, 0, 0]);
      expect(unique(b.delivered.server)).toBe(500);
      expect(unique(b.delivered.client)).toBe(500);

      b.sim.client.pinPath(undefined, b.sim.now);
      b.sim.run(3000);
      expect(b.sim.server.stats().clients[0]!.session.pinnedPath).toBeUndefined();
      cbr(
        b.sim,
        3000,
        1000,
        2000,
        (i) => up(1000 + i),
        (p, t) => b.sim.client.onTunPacket(p, t),
      );
      cbr(
        b.sim,
        3000,
        1000,
        2000,
        (i) => down(1000 + i),
        (p, t) => b.sim.server.onTunPacket(p, t),
      );
      b.sim.run(5000);
      // 19 Mbit/s each way after the unpin: more than one path carries it again.
      // Failover too: the unpin let it pick the best path again.
      expect(b.dataUp[0]! + b.dataUp[1]!).toBeGreaterThan(0);
      expect(b.dataDown[0]! + b.dataDown[1]!).toBeGreaterThan(0);
    }
  });

  it('the server keeps the pin only while refreshes come: lost PIN frames let it lapse, never stick', () => {
    const b = build({ links: [clean(20, 10), clean(10, 20)] });
    b.sim.run(500);
    b.sim.client.pinPath(1, b.sim.now);
    b.sim.run(700);
    const pinned = () => b.sim.server.stats().clients[0]!.session.pinnedPath;
    expect(pinned()).toBe(1);
    // Every control packet of the router is lost from now on (the PIN frames with them); data still arrives.
    let dropControl = true;
    b.sim.tap.clientToServer = (_id, bytes) => !(dropControl && bytes[0] === TYPE_CONTROL);
    cbr(
      b.sim,
      700,
      3000,
      500,
      (i) => up(i),
      (p, t) => b.sim.client.onTunPacket(p, t),
    );
    b.sim.run(3000);
    expect(pinned()).toBe(1);
    b.sim.run(4200);
    expect(pinned()).toBeUndefined();
    // The refreshes get through again: pinned again.
    dropControl = false;
    b.sim.run(4700);
    expect(pinned()).toBe(1);

    // An unpin whose every frame is lost: the pin still lapses one lifetime after the last refresh.
    dropControl = true;
    b.sim.client.pinPath(undefined, b.sim.now);
    b.sim.run(5000);
    expect(pinned()).toBe(1);
    b.sim.run(8000);
    expect(pinned()).toBeUndefined();
    expect(b.sim.client.stats().pinnedPath).toBeUndefined();
    expect(() => b.sim.client.pinPath(255, b.sim.now)).toThrow(/path id/);
    expect(() => b.sim.client.pinPath(1.5, b.sim.now)).toThrow(/path id/);
  });

  it('a pinned path that goes down: traffic falls back to the others (counted) and returns', () => {
    const b = build({ links: [clean(20, 10), clean(10, 20)] });
    b.sim.run(500);
    b.sim.client.pinPath(1, b.sim.now);
    bothWays(b, 600, 2000, 500);
    b.sim.at(1500, () => cut(b.sim, 1, false));
    b.sim.at(3000, () => cut(b.sim, 1, true));
    b.sim.run(6000);
    expect(b.dataUp[0]).toBeGreaterThan(300);
    expect(b.dataDown[0]).toBeGreaterThan(300);
    expect(b.sim.client.stats().restrictedFallbacks).toBeGreaterThan(300);
    expect(b.sim.server.stats().clients[0]!.session.restrictedFallbacks).toBeGreaterThan(300);
    const client = b.sim.client.stats();
    expect(unique(b.delivered.server) + client.queueDropped!).toBe(2000);
    expect(client.pinnedPath).toBe(1);
  });
});
