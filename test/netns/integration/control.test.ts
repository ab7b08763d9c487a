/**
 * The control API of the real daemons (the bundle, as procd/systemd run it) with the tunnel up between network
 * namespaces: `wanbond status --json` on both ends, `reload` through the socket, a `wanbond.link` event when a
 * WAN goes down, and `wanbond speedtest` measuring through the tunnel against the server's responder.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnixControl } from '../../../src/wanbond/control/unix-socket.js';
import { inNs, isRoot } from '../../../src/wanbond/lab/netns.js';
import { controlSocketOf, TunnelFixture } from '../tunnel/fixture.js';

const exec = promisify(execFile);

describe.skipIf(!isRoot())('control API of the running daemons (needs root)', () => {
  let f: TunnelFixture;
  let routerSock: string;
  let serverSock: string;

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await exec(process.execPath, [f.bundle, ...args], { timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    f = await TunnelFixture.start();
    routerSock = controlSocketOf(f.dir, 'router');
    serverSock = controlSocketOf(f.dir, 'server');
  }, 90_000);

  afterAll(async () => {
    await f?.dispose();
  }, 30_000);

  it('wanbond status --json on the router lists the links and no private key', async () => {
    const r = await cli('status', '--json', '--socket', routerSock);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.role).toBe('router');
    expect(s.state).toBe('established');
    expect(s.links.map((l: { name: string }) => l.name)).toEqual(['wan0', 'wan1', 'wan2']);
    for (const l of s.links) expect(l.state).toBe('up');
    expect(s.tunnel.device).toBe(f.tun);
    expect(r.stdout).not.toContain(f.keys.router);
    expect(r.stdout).not.toContain(f.keys.server);
    const table = await cli('status', '--socket', routerSock);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/wan0/);
  });

  it('wanbond status --json on the server lists the client with its paths and no private key', async () => {
    const r = await cli('status', '--json', '--socket', serverSock);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.role).toBe('server');
    expect(s.clients).toHaveLength(1);
    expect(s.clients[0].name).toBe('home');
    expect(s.clients[0].state).toBe('established');
    expect(s.clients[0].links.length).toBe(3);
    expect(r.stdout).not.toContain(f.keys.server);
    expect(r.stdout).not.toContain(f.keys.router);
    const table = await cli('status', '--socket', serverSock);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/home/);
    expect(table.stdout).toMatch(/10\.255\.0\.2/);
  });

  it('reload through the control socket applies a good config and rejects a bad one', async () => {
    const good = readFileSync(f.routerFile, 'utf8');
    const ok = await callUnixControl(routerSock, 'reload');
    expect(ok).toEqual({ status: 0, data: { ok: true } });
    writeFileSync(f.routerFile, good.replace("option mode 'bond'", "option mode 'nonsense'"));
    try {
      const bad = await callUnixControl(routerSock, 'reload');
      expect(bad.status).toBe(0);
      expect(bad.data?.ok).toBe(false);
      expect(String(bad.data?.error)).toMatch(/mode/);
    } finally {
      writeFileSync(f.routerFile, good);
    }
    const policies = await callUnixControl(routerSock, 'policies');
    expect(policies).toEqual({ status: 0, data: { policies: [] } });
    await f.waitForTunnel();
  });

  it('wanbond speedtest measures each link alone, then the bonded tunnel', async () => {
    const r = await cli('speedtest', '--socket', routerSock, '--seconds', '2', '--json');
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job.state).toBe('done');
    expect(job.progress).toBe(1);
    const rows = new Map<string, { down_kbit: number; up_kbit: number; error?: string }>(
      job.results.map((row: { link: string; down_kbit: number; up_kbit: number }) => [row.link, row]),
    );
    expect([...rows.keys()]).toEqual(['wan0', 'wan1', 'wan2', 'bond']);
    // Each link is measured alone (the tunnel pinned to it both ways), then bonded: on these unshaped links every
    // test is CPU-bound, so all that can be asserted is that each test moved data both ways without an error.
    for (const [name, row] of rows) {
      expect(row.error, name).toBeUndefined();
      expect(row.down_kbit, name).toBeGreaterThan(1000);
      expect(row.up_kbit, name).toBeGreaterThan(1000);
    }

    const one = await callUnixControl(routerSock, 'speedtest', { link: 'nosuch' });
    expect(one.status).toBe(4);
  }, 60_000);

  it('publishes a wanbond.link event when a WAN goes down', async () => {
    const events: Array<{ event: string; data: { link: string; from: string; to: string } }> = [];
    const sock = connect(routerSock);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.event) events.push(msg);
      }
    });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', () => resolve());
        sock.once('error', reject);
      });
      sock.write('{"method":"watch"}\n');
      await new Promise((r) => setTimeout(r, 200));
      await inNs(f.topo.ns.router, 'ip', ['link', 'set', 'dev', f.topo.wans[2]!.routerDev, 'down']);
      const deadline = Date.now() + 30_000;
      while (!events.some((e) => e.data.link === 'wan2' && e.data.to === 'down') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const down = events.find((e) => e.data.link === 'wan2' && e.data.to === 'down');
      expect(down, JSON.stringify(events)).toBeDefined();
      expect(down!.event).toBe('wanbond.link');
      expect(events.every((e) => e.data.link === 'wan2')).toBe(true);
      const recent = await callUnixControl(routerSock, 'events');
      expect((recent.data!.events as Array<{ link: string; to: string }>)[0]).toMatchObject({
        link: 'wan2',
        to: 'down',
      });
    } finally {
      sock.destroy();
    }
  }, 45_000);

  it('exits 1 (for procd/systemd to respawn it) after cleaning up when its TUN device is deleted under it', async () => {
    await inNs(f.topo.ns.router, 'ip', ['link', 'del', f.tun]);
    expect(await f.router.exit(10_000)).toBe(1);
    expect(f.router.output()).toMatch(/fatal: .*stopping/);
    const tables = await inNs(f.topo.ns.router, 'nft', ['list', 'tables']);
    expect(tables).not.toMatch(/wanbond/);
    // The control socket went with it.
    await expect(callUnixControl(routerSock, 'status')).rejects.toThrow();
  }, 20_000);
});
