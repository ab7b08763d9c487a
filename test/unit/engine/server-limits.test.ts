import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ClientEngine,
  createClientEngine,
  createServerEngine,
  type ServerClient,
  type ServerEngine,
} from '../../../src/wanbond/engine/index.js';
import { keyFromPrivate } from '../../../src/wanbond/engine/noise.js';

const INTERNET = '192.0.2.10';
const TYPE_DATA = 0x14;

/** IPv4 packet (protocol 253) of `size` bytes, with a counter at byte 20. */
function ipv4(src: string, dst: string, counter: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, size);
  p[8] = 64;
  p[9] = 253;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  dv.setUint32(20, counter);
  return p;
}

interface Router {
  name: string;
  address: string;
  from: string;
  client: ClientEngine;
}

/** A server with `n` configured routers (one link each), wired by hand so a test can hold back datagrams. */
function setup(n: number, limits: { maxClients?: number; bufferBudgetBytes?: number }) {
  const serverPriv = randomBytes(32);
  const serverPub = keyFromPrivate(serverPriv).publicKey;
  const routers: Router[] = [];
  const clients: ServerClient[] = [];
  for (let i = 0; i < n; i++) {
    const priv = randomBytes(32);
    const name = `r${i}`;
    const address = `10.255.0.${i + 2}`;
    clients.push({ name, publicKey: keyFromPrivate(priv).publicKey, addresses: [address], routes: [] });
    routers.push({
      name,
      address,
      from: `198.51.100.${i + 1}:40000`,
      client: createClientEngine({
        privateKey: priv,
        serverPublicKey: serverPub,
        paths: [{ id: 0, name: 'wan' }],
        mode: 'bond',
        now: 0,
      }),
    });
  }
  const server: ServerEngine = createServerEngine({ privateKey: serverPriv, clients, now: 0, limits });
  /** Router -> server; `keep` decides per datagram (held-back ones are returned). */
  const up = (r: Router, now: number, keep: (b: Uint8Array) => boolean = () => true): Uint8Array[] => {
    const held: Uint8Array[] = [];
    for (let d = r.client.pollTransmit(); d; d = r.client.pollTransmit()) {
      if (keep(d.bytes)) server.onDatagram(r.from, d.bytes, now);
      else held.push(d.bytes);
    }
    return held;
  };
  /** Server -> routers; returns how many datagrams went to each. */
  const down = (now: number): Map<string, number> => {
    const sent = new Map<string, number>();
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
      const r = routers.find((x) => x.from === d.to)!;
      sent.set(r.name, (sent.get(r.name) ?? 0) + 1);
      r.client.onDatagram(0, d.bytes, now);
    }
    return sent;
  };
  /** Runs the routers in `active` and the server for `ms` from `now`, 1 ms steps, nothing lost. */
  const connect = (r: Router, now: number, ms = 100, active: Router[] = [r]): Map<string, number> => {
    const sent = new Map<string, number>();
    for (let t = now; t <= now + ms; t++) {
      for (const x of active) {
        const due = x.client.nextTimer();
        if (t === now || (due !== undefined && due <= t)) x.client.onTimer(t);
        up(x, t);
      }
      const due = server.nextTimer();
      if (due !== undefined && due <= t) server.onTimer(t);
      for (const [k, v] of down(t)) sent.set(k, (sent.get(k) ?? 0) + v);
    }
    return sent;
  };
  const delivered = (): number => {
    let k = 0;
    while (server.pollDeliver()) k++;
    return k;
  };
  const session = (r: Router) => server.stats().clients.find((c) => c.name === r.name)!.session;
  return { server, clients, routers, up, down, connect, delivered, session, limits: () => server.stats().limits! };
}

describe('server: global buffer budget', () => {
  it('holds reordered packets across sessions within the budget, and a dropped session gives its bytes back', () => {
    const t = setup(2, { bufferBudgetBytes: 5500 });
    const [a, b] = t.routers as [Router, Router];
    t.connect(a, 0);
    t.connect(b, 0);
    expect(t.session(a).state).toBe('established');
    expect(t.session(b).state).toBe('established');
    // a's first data packet is lost on the way: the server holds what follows it (5 x 1000 bytes of inner packets).
    for (let i = 0; i < 6; i++) a.client.onTunPacket(ipv4(a.address, INTERNET, i, 1000), 200);
    let first = true;
    const held = t.up(a, 200, (bytes) => {
      if (bytes[0] !== TYPE_DATA || !first) return true;
      first = false;
      return false;
    });
    expect(held).toHaveLength(1);
    expect(t.delivered()).toBe(0);
    expect(t.limits().bufferedBytes).toBe(5000);
    expect(t.session(a).reorderDepth).toBe(5);
    // b's packets arrive out of order too, but the budget is spent by a: they go out at once instead of waiting.
    for (let i = 0; i < 4; i++) b.client.onTunPacket(ipv4(b.address, INTERNET, i, 1000), 200);
    first = true;
    t.up(b, 200, (bytes) => {
      if (bytes[0] !== TYPE_DATA || !first) return true;
      first = false;
      return false;
    });
    expect(t.delivered()).toBe(3);
    expect(t.limits().bufferedBytes).toBe(5000);
    expect(t.limits().budgetRefused).toBeGreaterThan(0);
    expect(t.session(b).forcedSkips).toBeGreaterThan(0);
    expect(t.session(b).bufferedBytes).toBe(0);
    // Removing a from the config drops its session and with it the 5000 bytes.
    t.server.setClients(t.clients.filter((c) => c.name !== a.name));
    expect(t.limits().bufferedBytes).toBe(0);
    expect(t.limits().sessions).toBe(1);
  });

  it('drops packets for a router beyond the budget instead of queueing them', () => {
    const t = setup(1, { bufferBudgetBytes: 16_000 });
    const [a] = t.routers as [Router];
    t.connect(a, 0);
    // Nothing is acknowledged: the path's window lets the first packets out, the queue takes what fits the budget.
    for (let i = 0; i < 100; i++) {
      t.server.onTunPacket(ipv4(INTERNET, a.address, i, 1400), 200);
      expect(t.limits().bufferedBytes).toBeLessThanOrEqual(16_000);
    }
    const s = t.session(a);
    expect(s.queueDropped).toBeGreaterThan(50);
    expect(t.limits().budgetRefused).toBe(s.queueDropped);
    expect(t.limits().bufferedBytes).toBe(s.bufferedBytes);
  });

  it('rejects a non-positive budget and cap with a clear error', () => {
    const t = setup(1, {});
    expect(() => t.server.setLimits({ maxClients: 0 })).toThrow(/maxClients/);
    expect(() => t.server.setLimits({ bufferBudgetBytes: -1 })).toThrow(/bufferBudgetBytes/);
    expect(t.limits().maxClients).toBe(256);
    expect(t.limits().bufferBudgetBytes).toBe(256 * 2 ** 20);
  });
});

describe('server: maximum clients', () => {
  it('refuses a configured router beyond the cap without a reply, and gives a dead session`s place away', () => {
    const t = setup(3, { maxClients: 2 });
    const [a, b, c] = t.routers as [Router, Router, Router];
    t.connect(a, 0);
    t.connect(b, 10_000);
    expect(t.limits().sessions).toBe(2);
    // c knows the server's key and is configured, but two sessions are live: no answer at all.
    const replies = t.connect(c, 20_000);
    expect(replies.get('r2')).toBeUndefined();
    expect(t.session(c).state).toBe('idle');
    expect(t.limits().sessionsRefused).toBeGreaterThanOrEqual(1);
    expect(t.limits().lastRefused).toBe('r2');
    expect(t.server.stats().handshakesRejected).toBe(t.limits().sessionsRefused);
    // A router with a session is never refused, not even over a lowered cap (b re-handshakes after its silence).
    t.server.setLimits({ maxClients: 1 });
    t.connect(b, 20_100);
    expect(t.session(b).state).toBe('established');
    expect(t.limits().sessions).toBe(2);
    t.server.setLimits({ maxClients: 2 });
    // a has been silent for 35 s (b for 15 s): a's place goes to c.
    const later = t.connect(c, 35_000);
    expect(later.get('r2')).toBeGreaterThan(0);
    expect(t.session(c).state).toBe('established');
    expect(t.session(a).state).toBe('idle');
    expect(t.session(b).state).toBe('established');
    expect(t.limits().sessions).toBe(2);
  });
});
