import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouterConfig } from '../../../src/wanbond/config/router.js';
import { loadServerConfig } from '../../../src/wanbond/config/server.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { inNs, isRoot } from '../../../src/wanbond/lab/netns.js';
import { parsePairingLine } from '../../../src/wanbond/pairing/line.js';
import { buildBundle, pairingLine, VPS, World } from './world.js';

// pair on a running server -> join on the router -> the router daemon brings the tunnel up: the whole admin flow,
// with the real bundle (node dist/wanbond.js) in namespaces.
describe.skipIf(!isRoot())('pairing round trip (needs root)', () => {
  let w: World;

  beforeAll(async () => {
    buildBundle();
    w = await World.build(2);
    await w.startServer();
  }, 120_000);

  afterAll(async () => {
    await w?.dispose();
  });

  it('pair (server-generated key) reloads the running server, join configures the router, the tunnel comes up', async () => {
    const site = w.sites[0]!;
    // A socket nobody serves: pair falls back to finding the server process and sending it SIGHUP.
    const pair = w.cli([
      'pair',
      'home',
      '--lan',
      site.lanSubnet,
      '--endpoint',
      VPS,
      '-c',
      w.serverFile,
      '--socket',
      join(w.dir, 'none.sock'),
    ]);
    expect(pair.err).toBe('');
    expect(pair.code).toBe(0);
    expect(pair.out).toMatch(/sent SIGHUP to the running server \(pid \d+\) to reload/);
    expect(pair.out).toContain('▀'); // the QR code
    await w.server!.waitFor(/reloaded .*: 1 client\(s\)/);
    const line = pairingLine(pair.out);
    expect(parsePairingLine(line)).toMatchObject({ name: 'home', hosts: [VPS], address: '10.255.0.2/24' });

    const join1 = w.cli(['join', line, '-c', site.configFile, '--no-reload']);
    expect(join1.err).toBe('');
    expect(join1.out).toContain(`wanbond.main.server: (unset) -> '${VPS}'`);
    expect(join1.out).not.toContain(parsePairingLine(line).privateKey!);
    const router = (await loadRouterConfig(site.configFile)).config;
    const server = (await loadServerConfig(w.serverFile)).config;
    expect(server.clients).toHaveLength(1);
    expect(server.clients[0]!.publicKey).toBe(publicKeyOf(router.privateKey));

    await w.startRouter(site);
    await w.tunnelUp(site);
    const out = await inNs(site.router, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.255.0.1']);
    expect(out).toMatch(/2 received/);
    // The server reaches the router's LAN through the route pair added.
    expect(await inNs(w.vps, 'ping', ['-c', '1', '-W', '2', site.lanAddress])).toMatch(/1 received/);
  }, 60_000);

  it('pair --pubkey with the key join printed: the router keeps its own key', async () => {
    const site = w.sites[1]!;
    // A line registered with a key this router does not have (it has none yet): join makes the router's key pair
    // and prints the public key to register instead.
    const first = w.cli([
      'pair',
      'cabin',
      '--pubkey',
      publicKeyOf(generatePrivateKey()),
      '--endpoint',
      VPS,
      '-c',
      w.serverFile,
      '--no-reload',
      '--no-qr',
    ]);
    expect(first.code).toBe(0);
    const joined = w.cli(['join', pairingLine(first.out), '-c', site.configFile, '--no-reload']);
    expect(joined.code).toBe(0);
    const m = /wanbond pair cabin --force --pubkey (\S+)/.exec(joined.out);
    expect(m, joined.out).not.toBeNull();
    const again = w.cli([
      'pair',
      'cabin',
      '--force',
      '--pubkey',
      m![1]!,
      '--lan',
      site.lanSubnet,
      '--endpoint',
      VPS,
      '-c',
      w.serverFile,
      '--socket',
      join(w.dir, 'none.sock'),
      '--no-qr',
    ]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^Replaced client 'cabin'/);
    expect(again.out).toContain('The line holds no secret');
    await w.server!.waitFor(/reloaded .*: 2 client\(s\)/);
    const second = w.cli(['join', pairingLine(again.out), '-c', site.configFile, '--no-reload']);
    expect(second.out).toContain(`This router's public key ${m![1]} matches the server's record.`);

    await w.startRouter(site);
    await w.tunnelUp(site);
    expect(await inNs(site.router, 'ping', ['-c', '1', '-W', '2', '10.255.0.1'])).toMatch(/1 received/);
  }, 60_000);
});
