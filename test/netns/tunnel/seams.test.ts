import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterStatus } from '../../../src/wanbond/io/router-daemon.js';
import { inNs, isRoot } from '../../../src/wanbond/lab/netns.js';
import type { ServerStatus } from '../../../src/wanbond/server/daemon.js';
import { TunnelFixture } from './fixture.js';
import type { NsProcess } from './process.js';

async function status<T>(p: NsProcess): Promise<T> {
  const seen = p.lines.length;
  p.send('status');
  for (let i = 0; i < 200; i++) {
    const line = p.lines.slice(seen).find((l) => l.startsWith('STATUS '));
    if (line) return JSON.parse(line.slice(7)) as T;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no status:\n${p.output()}`);
}

// The calls the control API (status) and netifd/hotplug (setLinkAddress) make, on the daemons in-process.
describe.skipIf(!isRoot())('daemon seams for control and netifd (needs root)', () => {
  let f: TunnelFixture;

  beforeAll(async () => {
    f = await TunnelFixture.start({ harness: true });
  }, 120_000);

  afterAll(async () => {
    await f?.dispose();
  });

  it('reports engine figures and what each daemon set up', async () => {
    const r = await status<RouterStatus>(f.router);
    expect(r).toMatchObject({ role: 'router', server: f.topo.vpsAddress, port: 5555, mode: 'bond', enabled: true });
    expect(r.tunnel).toEqual({ device: f.tun, addresses: ['10.255.0.2/24', 'fd00:255::2/64'], mtu: 1422 });
    expect(r.stats.state).toBe('established');
    expect(r.links.map((l) => l.name)).toEqual(['wan0', 'wan1', 'wan2']);
    expect(r.runtime.wan1).toMatchObject({ pathId: 1, source: '10.202.0.2', bound: true, remote: f.topo.vpsAddress });
    expect(r.now).toBeGreaterThan(0);
    expect(Math.abs(r.wallNow - Date.now())).toBeLessThan(5000);

    const s = await status<ServerStatus>(f.server);
    expect(s).toMatchObject({ role: 'server', listen: '::', port: 5555, routes: [f.topo.lanSubnet] });
    expect(s.stats.clients.map((c) => [c.name, c.session.state])).toEqual([['home', 'established']]);
  });

  it('follows netifd: a link whose interface goes down is closed, and re-bound when it comes back', async () => {
    const wan = f.topo.wans[0]!;
    f.router.send('link wan0 down');
    await f.router.waitFor(/link wan0: interface down/);
    const down = await status<RouterStatus>(f.router);
    expect(down.runtime.wan0).toMatchObject({ bound: false, error: 'interface down' });
    await inNs(f.topo.ns.router, 'ping', ['-c', '1', '-W', '2', '10.255.0.1']);

    f.router.send(`link wan0 up ${wan.routerDev} ${wan.source}`);
    const bound = () => f.router.lines.filter((l) => /link wan0 \(path 0\) bound to 10\.201\.0\.2/.test(l)).length;
    for (let i = 0; i < 200 && bound() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(bound()).toBe(2);
    const up = await status<RouterStatus>(f.router);
    expect(up.runtime.wan0).toMatchObject({ bound: true, source: wan.source, device: wan.routerDev });
    expect(up.runtime.wan0?.error).toBeUndefined();
  });
});
