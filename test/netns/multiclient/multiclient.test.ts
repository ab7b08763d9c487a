import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouterConfig } from '../../../src/wanbond/config/router.js';
import { loadServerConfig } from '../../../src/wanbond/config/server.js';
import { publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { inNs, isRoot } from '../../../src/wanbond/lab/netns.js';
import { addList, openUciFile, setOption } from '../../../src/wanbond/pairing/uci-file.js';
import { buildBundle, INET, pairingLine, VPS, World } from '../pairing/world.js';

const RATE_LIMIT_KBIT = 4000;

/**
 * Upload from `ns` to the internet host through the tunnel: iperf3's received rate in kbit/s. `-O 1` leaves out
 * the first second (slow start and the limit's burst), which would read above the cap.
 */
async function uploadKbit(w: World, ns: string, port: number): Promise<number> {
  const server = execFile('ip', ['netns', 'exec', w.inet, 'iperf3', '-s', '-1', '-p', String(port)]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const out = await inNs(ns, 'iperf3', ['-c', INET, '-p', String(port), '-t', '4', '-O', '1', '-J']);
    return JSON.parse(out).end.sum_received.bits_per_second / 1000;
  } finally {
    server.kill();
  }
}

/** ping's exit status when no reply came (2 would be an error such as no route). */
const PING_NO_REPLY = 1;

function pingExit(ns: string, address: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '1', address], (err) =>
      resolve(err ? Number((err as { code?: number }).code) : 0),
    );
  });
}

// One server, three routers paired with `wanbond pair` / `wanbond join`, each with a LAN host behind it.
describe.skipIf(!isRoot())('one server, three router clients (needs root)', () => {
  let w: World;

  beforeAll(async () => {
    buildBundle();
    w = await World.build(3);
    await w.startServer();
    for (const site of w.sites) {
      const pair = w.cli([
        'pair',
        `site${site.index}`,
        '--lan',
        site.lanSubnet,
        '--endpoint',
        VPS,
        '-c',
        w.serverFile,
        '--no-reload',
        '--no-qr',
      ]);
      if (pair.code !== 0) throw new Error(`pair site${site.index}: ${pair.err}`);
      const joined = w.cli(['join', pairingLine(pair.out), '-c', site.configFile, '--no-reload']);
      if (joined.code !== 0) throw new Error(`join site${site.index}: ${joined.err}`);
    }
    // An inbound forward to the LAN host behind router 2: public port 8080 on the VPS -> 192.168.2.2:9000.
    const file = openUciFile(w.serverFile);
    addList(file.pkg, 'site2', 'forward', ['tcp:8080:192.168.2.2:9000']);
    // Site 3 is capped at 4 Mbit/s each way; sites 1 and 2 are not.
    setOption(file.pkg, 'site3', 'rate_limit_kbit', String(RATE_LIMIT_KBIT));
    file.commit();
    w.server!.child.kill('SIGHUP');
    await w.server!.waitFor(/reloaded .*: 3 client\(s\)/);
    for (const site of w.sites) {
      await w.startRouter(site);
      await w.tunnelUp(site);
    }
    await w.serve(w.inet, ['udp-echo', '7000']);
    for (const site of w.sites) await w.serve(site.lan, ['tcp-hello', '9000', `lan${site.index}`]);
  }, 120_000);

  afterAll(async () => {
    await w?.dispose();
  });

  it('gives each client the next tunnel address and its own key', async () => {
    const server = (await loadServerConfig(w.serverFile)).config;
    expect(server.clients.map((c) => [c.name, c.address, c.routes])).toEqual([
      ['site1', '10.255.0.2', ['192.168.1.0/24']],
      ['site2', '10.255.0.3', ['192.168.2.0/24']],
      ['site3', '10.255.0.4', ['192.168.3.0/24']],
    ]);
    for (const [i, site] of w.sites.entries()) {
      const router = (await loadRouterConfig(site.configFile)).config;
      expect(router.address).toBe(`10.255.0.${i + 2}/24`);
      expect(publicKeyOf(router.privateKey)).toBe(server.clients[i]!.publicKey);
    }
  });

  it("sends every client's traffic to the internet NATed behind the VPS address", async () => {
    for (const site of w.sites) {
      expect(await w.tool(site.lan, ['udp-ask', INET, '7000'])).toBe(`from ${VPS}`);
      expect(await w.tool(site.router, ['udp-ask', INET, '7000'])).toBe(`from ${VPS}`);
    }
  }, 30_000);

  it('keeps clients from reaching each other, while the server reaches every LAN', async () => {
    const [s1, s2, s3] = w.sites as [(typeof w.sites)[0], (typeof w.sites)[0], (typeof w.sites)[0]];
    for (const site of w.sites)
      expect(await inNs(w.vps, 'ping', ['-c', '1', '-W', '2', site.lanAddress])).toMatch(/1 received/);
    expect(await pingExit(s1.lan, s2.lanAddress)).toBe(PING_NO_REPLY);
    expect(await pingExit(s3.lan, s1.lanAddress)).toBe(PING_NO_REPLY);
    // Router 1 to router 2's tunnel address.
    expect(await pingExit(s1.router, '10.255.0.3')).toBe(PING_NO_REPLY);
    await expect(w.tool(s1.lan, ['tcp-ask', s2.lanAddress, '9000'])).rejects.toThrow(/timeout|ECONN|EHOST/);
    // Control: it is the server's isolation rule that stops them. Without it, LAN 1 reaches LAN 2 via the server;
    // a reload puts the rule back.
    const chain = await inNs(w.vps, 'nft', ['-a', 'list', 'chain', 'inet', 'wanbond', 'forward']);
    const handle = /clients isolated.*# handle (\d+)/.exec(chain)?.[1];
    expect(handle, chain).toBeDefined();
    await inNs(w.vps, 'nft', ['delete', 'rule', 'inet', 'wanbond', 'forward', 'handle', handle!]);
    expect(await pingExit(s1.lan, s2.lanAddress)).toBe(0);
    const mark = w.server!.lines.length;
    w.server!.child.kill('SIGHUP');
    await w.server!.waitFor(/reloaded .*: 3 client\(s\)/, 10_000, mark);
    expect(await pingExit(s1.lan, s2.lanAddress)).toBe(PING_NO_REPLY);
  }, 30_000);

  it('caps a client at its rate_limit_kbit and leaves the others alone', async () => {
    const [s1, , s3] = w.sites as [(typeof w.sites)[0], (typeof w.sites)[0], (typeof w.sites)[0]];
    const capped = await uploadKbit(w, s3.lan, 5301);
    expect(capped).toBeLessThan(RATE_LIMIT_KBIT * 1.25);
    expect(capped).toBeGreaterThan(RATE_LIMIT_KBIT * 0.5);
    // The uncapped neighbour is not held to that budget.
    expect(await uploadKbit(w, s1.lan, 5302)).toBeGreaterThan(RATE_LIMIT_KBIT * 2);
  }, 30_000);

  it('forwards an inbound port to the host behind the right router', async () => {
    expect(await w.tool(w.inet, ['tcp-ask', VPS, '8080'])).toBe('hello from lan2');
    // A port nobody forwards is not open.
    await expect(w.tool(w.inet, ['tcp-ask', VPS, '8081'])).rejects.toThrow();
  }, 30_000);
});
