import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInitiation, INITIATION_BYTES } from '../../src/wanbond/engine/handshake.js';
import { createClientEngine, createServerEngine } from '../../src/wanbond/engine/index.js';
import { keyFromPrivate } from '../../src/wanbond/engine/noise.js';
import { buildSim, CLIENT_V4, counterOf, INTERNET_V4, ipv4, makeKeys } from '../sim/helpers.js';
import { Rng } from '../sim/netsim.js';
import { budget, timeoutFor } from './budget.js';

const TYPES = [0x11, 0x12, 0x13, 0x14, 0x15];
/** Lengths the decoders branch on: initiation, response, cookie, the data minimum and around them. */
const LENGTHS = [0, 1, 4, 5, 9, 10, 14, 25, 26, 27, 30, 48, 49, 50, 88, 89, 90, 140, 141, 142, 1400, 1500];

/** Random datagrams, half of them shaped like ours (known type byte, a length the decoder accepts). */
const datagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 1500 }),
  fc
    .tuple(fc.constantFrom(...TYPES), fc.constantFrom(...LENGTHS), fc.integer({ min: 0, max: 0xffffffff }))
    .chain(([type, len, seed]) =>
      fc.constant(null).map(() => {
        const b = new Rng(seed).bytes(len);
        if (len > 0) b[0] = type;
        return b;
      }),
    ),
);

const source: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([a, p]) => `${a}:${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([a, p]) => `[${a}]:${p}`),
  fc.constantFrom('198.51.100.1:40000', '198.51.100.2:40000'),
  fc.string({ maxLength: 20 }),
);

/** One hostile edit of a captured datagram: what an on-path attacker can do without the keys. */
type Tamper =
  | { kind: 'replay' }
  | { kind: 'truncate'; len: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'extend'; extra: Uint8Array }
  | { kind: 'splice'; other: number; at: number }
  | { kind: 'index'; index: number }
  | { kind: 'type'; type: number };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant({ kind: 'replay' as const }),
  fc.record({ kind: fc.constant('truncate' as const), len: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('splice' as const), other: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('index' as const), index: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('type' as const), type: fc.constantFrom(...TYPES, 0x00, 0x24, 0xff) }),
);

function apply(t: Tamper, b: Uint8Array, pool: Uint8Array[]): Uint8Array {
  switch (t.kind) {
    case 'replay':
      return Uint8Array.from(b);
    case 'truncate':
      return b.slice(0, t.len % b.length);
    case 'flip': {
      const f = Uint8Array.from(b);
      f[t.at % f.length]! ^= 1 << t.bit;
      return f;
    }
    case 'extend':
      return Buffer.concat([b, t.extra]);
    case 'splice': {
      const o = pool[t.other % pool.length]!;
      const at = t.at % Math.min(b.length, o.length);
      return Buffer.concat([b.subarray(0, at), o.subarray(at)]);
    }
    case 'index': {
      const f = Uint8Array.from(b);
      new DataView(f.buffer).setUint32(1, t.index, true);
      return f;
    }
    case 'type': {
      const f = Uint8Array.from(b);
      f[0] = t.type;
      return f;
    }
  }
}

/** A garbage collector for heap measurements (vitest workers run without --expose-gc). */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const link = (rateMbit: number, delayMs: number) => ({ up: { rateMbit, delayMs } });

describe('engine under hostile datagrams', () => {
  it(
    'server: random and ill-typed datagrams from any source raise nothing and get no reply',
    () => {
      const keys = makeKeys(new Rng(1));
      const server = createServerEngine({
        privateKey: keys.serverPriv,
        clients: [{ name: 'r', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: ['192.168.1.0/24'] }],
        now: 0,
      });
      let now = 0;
      fc.assert(
        fc.property(fc.array(fc.tuple(source, datagram, fc.nat(50)), { maxLength: 20 }), (batch) => {
          for (const [from, bytes, dt] of batch) {
            now += dt;
            server.onDatagram(from, bytes, now);
            expect(server.pollTransmit()).toBeUndefined();
            expect(server.pollDeliver()).toBeUndefined();
          }
          server.onTimer(now);
          expect(server.pollTransmit()).toBeUndefined();
          expect(server.stats().clients[0]!.session.state).toBe('idle');
        }),
        budget(300),
      );
    },
    timeoutFor(6000),
  );

  it(
    'client: garbage on any path changes nothing it sends (compared with an untouched twin)',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), datagram, fc.nat(300)), { maxLength: 15 }),
          fc.integer({ min: 1, max: 1_000_000 }),
          (batch, seed) => {
            const make = () => {
              const rng = new Rng(seed);
              const keys = makeKeys(rng);
              return createClientEngine({
                privateKey: keys.clientPriv,
                serverPublicKey: keys.serverPub,
                paths: [
                  { id: 0, name: 'a' },
                  { id: 1, name: 'b' },
                ],
                mode: 'bond',
                now: 0,
                random: (n) => rng.bytes(n),
              });
            };
            const [hit, twin] = [make(), make()];
            const drain = (c: typeof hit) => {
              const out: string[] = [];
              for (let t = c.pollTransmit(); t; t = c.pollTransmit()) {
                out.push(`${t.pathId}:${Buffer.from(t.bytes).toString('hex')}`);
              }
              return out;
            };
            let now = 0;
            for (const [pathId, bytes, dt] of batch) {
              now += dt;
              for (const c of [hit, twin]) if ((c.nextTimer() ?? Infinity) <= now) c.onTimer(now);
              hit.onDatagram(pathId, bytes, now);
              expect(drain(hit)).toEqual(drain(twin));
              expect(hit.pollDeliver()).toBeUndefined();
            }
            expect(hit.stats().state).toBe(twin.stats().state);
          },
        ),
        budget(150),
      );
    },
    timeoutFor(6000),
  );

  it(
    'established pair: tampered and replayed datagrams are dropped silently on both sides; the session survives',
    () => {
      const { sim } = buildSim({ links: [link(20, 10), link(10, 20)], seed: 31 });
      const up: Array<{ pathId: number; bytes: Uint8Array }> = [];
      const down: Uint8Array[] = [];
      sim.tap.clientToServer = (pathId, bytes) => {
        if (up.length < 400) up.push({ pathId, bytes: Uint8Array.from(bytes) });
        return true;
      };
      sim.tap.serverToClient = (_to, bytes) => {
        if (down.length < 400) down.push(Uint8Array.from(bytes));
        return true;
      };
      let n = 0;
      const traffic = (ms: number) => {
        const until = sim.now + ms;
        for (let t = sim.now; t < until; t += 10) {
          const i = n++;
          sim.at(t, () => sim.client.onTunPacket(ipv4(CLIENT_V4, INTERNET_V4, i, 300 + (i % 900)), sim.now));
          sim.at(t + 5, () => sim.server.onTunPacket(ipv4(INTERNET_V4, CLIENT_V4, i, 300 + (i % 900)), sim.now));
        }
        sim.run(until + 500);
      };
      traffic(1500);
      expect(sim.client.stats().state).toBe('established');
      const upPool = up.map((d) => d.bytes);
      const rx = () => [sim.server.stats().clients[0]!.session.rxBytes, sim.client.stats().rxBytes];
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), tamper, fc.boolean(), source), { minLength: 1, maxLength: 10 }),
          (edits) => {
            const before = rx();
            for (const [which, t, toServer, from] of edits) {
              if (toServer) {
                const d = up[which % up.length]!;
                const bytes = apply(t, d.bytes, upPool);
                // From the path's own address and from anywhere else.
                sim.server.onDatagram(`198.51.100.${d.pathId + 1}:40000`, bytes, sim.now);
                sim.server.onDatagram(from, bytes, sim.now);
                expect(sim.server.pollTransmit()).toBeUndefined();
                expect(sim.server.pollDeliver()).toBeUndefined();
              } else {
                const bytes = apply(t, down[which % down.length]!, down);
                sim.client.onDatagram(which % 2, bytes, sim.now);
                sim.client.onDatagram(7, bytes, sim.now);
                expect(sim.client.pollTransmit()).toBeUndefined();
                expect(sim.client.pollDeliver()).toBeUndefined();
              }
            }
            expect(rx()).toEqual(before);
          },
        ),
        budget(400),
      );
      // Still one session, both paths up, and traffic flows both ways.
      const [s0, c0] = [sim.toServer.length, sim.toClient.length];
      traffic(1000);
      expect(sim.toServer.length - s0).toBe(100);
      expect(sim.toClient.length - c0).toBe(100);
      expect(sim.client.stats().handshakes).toBe(1);
      expect(sim.client.stats().paths.every((p) => p.state === 'up')).toBe(true);
    },
    timeoutFor(10_000),
  );

  it(
    'reordered and duplicated valid datagrams deliver every inner packet exactly once',
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (seed, order, dups) => {
            const { sim } = buildSim({ links: [link(50, 5), link(50, 30)], seed });
            sim.run(400);
            const held: Array<{ pathId: number; bytes: Uint8Array }> = [];
            sim.tap.clientToServer = (pathId, bytes) => {
              if (bytes[0] !== 0x14) return true;
              held.push({ pathId, bytes: Uint8Array.from(bytes) });
              return false;
            };
            for (let i = 0; i < 40; i++) sim.client.onTunPacket(ipv4(CLIENT_V4, INTERNET_V4, i, 200), sim.now);
            sim.run(sim.now + 1);
            sim.tap.clientToServer = undefined;
            // A permutation of what was held (sorted by random keys), then some of it again.
            const perm = held.map((d, i) => ({ d, k: order[i % order.length]! * 64 + i })).sort((a, b) => a.k - b.k);
            const replay = [...perm.map((p) => p.d), ...dups.map((i) => held[i % held.length]!)];
            for (const d of replay) sim.server.onDatagram(`198.51.100.${d.pathId + 1}:40000`, d.bytes, sim.now);
            sim.run(sim.now + 2000);
            const got = sim.toServer.map(counterOf);
            expect(new Set(got).size).toBe(got.length);
            expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
            expect(sim.server.stats().clients[0]!.session.reorderDepth).toBe(0);
          },
        ),
        budget(40),
      );
    },
    timeoutFor(10_000),
  );

  it('answers forged initiations only with rate-limited cookies, never more bytes than it received', () => {
    const keys = makeKeys(new Rng(3));
    const server = createServerEngine({
      privateKey: keys.serverPriv,
      clients: [{ name: 'r', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: [] }],
      now: 0,
    });
    const rng = new Rng(4);
    let inBytes = 0;
    let outBytes = 0;
    const types = new Set<number>();
    // 2000 well-formed initiations (valid mac1: the attacker knows the server's public key) from 16 hosts in 10 s.
    for (let i = 0; i < 2000; i++) {
      const init = createInitiation(
        keyFromPrivate(rng.bytes(32)),
        keys.serverPub,
        keyFromPrivate(rng.bytes(32)),
        i,
        rng.bytes(8),
        undefined,
      );
      expect(init.message.length).toBe(INITIATION_BYTES);
      server.onDatagram(`100.64.0.${i % 16}:${1000 + i}`, init.message, i * 5);
      inBytes += init.message.length;
      for (let t = server.pollTransmit(); t; t = server.pollTransmit()) {
        outBytes += t.bytes.length;
        types.add(t.bytes[0]!);
      }
    }
    expect([...types].every((t) => t === 0x13)).toBe(true);
    // 16 hosts x (burst 10 + 5/s x 10 s) cookies at most.
    expect(outBytes / 49).toBeLessThanOrEqual(16 * 60);
    expect(outBytes).toBeLessThan(inBytes / 2);
    // Without the server's public key (random mac1) nothing at all comes back.
    for (let i = 0; i < 5000; i++) {
      const junk = rng.bytes(INITIATION_BYTES);
      junk[0] = 0x11;
      server.onDatagram(`100.65.${i >> 8}.${i % 256}:1`, junk, 10_000 + i / 10);
      expect(server.pollTransmit()).toBeUndefined();
    }
  });

  it('keeps memory bounded under a flood from 100 000 sources', () => {
    const gc = gcFunction();
    const keys = makeKeys(new Rng(5));
    const server = createServerEngine({
      privateKey: keys.serverPriv,
      clients: [{ name: 'r', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: [] }],
      now: 0,
    });
    const rng = new Rng(6);
    const inits = Array.from(
      { length: 64 },
      (_, i) =>
        createInitiation(
          keyFromPrivate(rng.bytes(32)),
          keys.serverPub,
          keyFromPrivate(rng.bytes(32)),
          i,
          rng.bytes(8),
          undefined,
        ).message,
    );
    const junk = Array.from({ length: 256 }, (_, i) => {
      const b = rng.bytes(26 + (i % 200));
      b[0] = TYPES[i % TYPES.length]!;
      return b;
    });
    const flood = (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${i & 0xffff}`;
        server.onDatagram(src, i % 4 === 0 ? inits[i % inits.length]! : junk[i % junk.length]!, i / 20);
        while (server.pollTransmit());
      }
    };
    flood(0, 20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    flood(20_000, 100_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(server.stats().clients[0]!.session.state).toBe('idle');
  }, 30_000);
});
