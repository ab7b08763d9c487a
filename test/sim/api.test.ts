import { describe, expect, it } from 'vitest';
import { createClientEngine, createServerEngine } from '../../src/wanbond/engine/index.js';
import { buildSim, CLIENT_V4, cbr, counterOf, INTERNET_V4, ipv4 } from './helpers.js';

const link = (rateMbit: number, delayMs: number) => ({ up: { rateMbit, delayMs } });

describe('engine factories and reconfiguration', () => {
  it('refuses malformed keys and client entries with clear errors', () => {
    const k = new Uint8Array(32).fill(1);
    const base = { privateKey: k, serverPublicKey: k, paths: [], mode: 'bond' as const, now: 0 };
    expect(() => createClientEngine({ ...base, privateKey: new Uint8Array(5) })).toThrow(/32 bytes/);
    expect(() => createClientEngine({ ...base, serverPublicKey: new Uint8Array(31) })).toThrow(/32 bytes/);
    const client = { name: 'r1', publicKey: k, addresses: ['10.255.0.2'], routes: [] };
    expect(() =>
      createServerEngine({ privateKey: k, clients: [{ ...client, publicKey: new Uint8Array(3) }], now: 0 }),
    ).toThrow(/r1.*32 bytes/);
    expect(() =>
      createServerEngine({ privateKey: k, clients: [{ ...client, routes: ['192.168.1.0/33'] }], now: 0 }),
    ).toThrow(/r1.*invalid prefix length/);
    expect(() => createServerEngine({ privateKey: k, clients: [client, { ...client, name: 'r2' }], now: 0 })).toThrow(
      /twice/,
    );
    const c = createClientEngine({ ...base, paths: [{ id: 0, name: 'wan' }] });
    expect(() => c.addPath(300, 'x')).toThrow(/path id/);
  });

  it('setClients keeps the session of an unchanged client and drops a removed one', () => {
    const { sim, keys } = buildSim({ links: [link(20, 10)], seed: 41 });
    sim.run(500);
    const entry = { name: 'router1', publicKey: keys.clientPub, addresses: [CLIENT_V4], routes: [] };
    sim.server.setClients([
      entry,
      { name: 'other', publicKey: new Uint8Array(32).fill(9), addresses: ['10.255.0.3'], routes: [] },
    ]);
    expect(() => sim.server.setClients([{ ...entry, addresses: ['bad'] }])).toThrow(/router1/);
    cbr(
      sim,
      500,
      20,
      100,
      (i) => ipv4(INTERNET_V4, CLIENT_V4, i, 300),
      (p, t) => sim.server.onTunPacket(p, t),
    );
    sim.run(1000);
    expect(sim.toClient.length).toBe(20);
    const stats = sim.server.stats();
    expect(stats.clients.map((c) => c.name)).toEqual(['router1', 'other']);
    expect(stats.clients[0]!.session.handshakes).toBe(1);
    sim.server.setClients([]);
    sim.server.onTunPacket(ipv4(INTERNET_V4, CLIENT_V4, 99, 300), sim.now);
    expect(sim.server.pollTransmit()).toBeUndefined();
    expect(sim.server.stats().clients).toEqual([]);
  });

  it('removePath moves traffic to the other links and tells the server; addPath brings it back', () => {
    const { sim } = buildSim({ links: [link(20, 15), link(10, 20)], seed: 42 });
    sim.run(500);
    cbr(
      sim,
      500,
      3000,
      1000,
      (i) => ipv4(CLIENT_V4, INTERNET_V4, i, 1000),
      (p, t) => sim.client.onTunPacket(p, t),
    );
    sim.at(1000, () => sim.client.removePath(0));
    let serverView = '';
    sim.at(1300, () => {
      serverView = sim.server.stats().clients[0]!.session.paths.find((p) => p.pathId === 0)!.state;
    });
    sim.at(2000, () => sim.client.addPath(0, 'wan1-again'));
    sim.run(4500);
    expect(serverView).toBe('down');
    expect(new Set(sim.toServer.map(counterOf)).size).toBe(3000);
    const paths = sim.client.stats().paths;
    expect(paths.map((p) => [p.name, p.state])).toEqual([
      ['wan1-again', 'up'],
      ['wan2', 'up'],
    ]);
  });
});
