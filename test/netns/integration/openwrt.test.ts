/**
 * The router daemon the OpenWrt way, in network namespaces with the real bundle: links given as netifd interfaces
 * (a stand-in netifd on the in-test fake ubusd, or a real one from $UBUSD; `--ubus-socket`), the ubus object `wanbond`, and policy routing
 * (`--policy-routing on`) as the only way LAN traffic reaches the tunnel (no default route of our own). netifd
 * taking a WAN down moves the link down and publishes `wanbond.link` on ubus; stopping removes the rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UbusClient } from '../../../src/ubus-js/src/index.js';
import { inNs, isRoot } from '../../../src/wanbond/lab/netns.js';
import { dump, FakeNetifd } from '../../unit/control/fake-netifd.js';
import { type Broker, REAL_UBUSD, startFakeUbusd, startRealUbusd } from '../../unit/ubus-js/brokers.js';
import { TunnelFixture } from '../tunnel/fixture.js';

async function ipRules(ns: string): Promise<Array<{ priority: number; iif?: string; table?: string }>> {
  return JSON.parse(await inNs(ns, 'ip', ['-j', '-4', 'rule', 'show']));
}

describe.skipIf(!isRoot())('router with netifd, ubus and policy routing (needs root)', () => {
  let broker: Broker;
  let netifdConn: UbusClient;
  let client: UbusClient;
  let netifd: FakeNetifd;
  let f: TunnelFixture;

  beforeAll(async () => {
    // A real ubusd (built from OpenWrt's sources) when $UBUSD names one, else the in-test fake.
    broker = REAL_UBUSD ? await startRealUbusd() : await startFakeUbusd();
    netifdConn = await UbusClient.connect({ socket: broker.socket });
    client = await UbusClient.connect({ socket: broker.socket });
    netifd = new FakeNetifd(netifdConn);
    f = await TunnelFixture.start({
      netifd: true,
      defaultRoute: false,
      routerArgs: (t) => ['--ubus-socket', broker.socket, '--policy-routing', 'on', '--lan-device', `${t.prefix}rl`],
      beforeRouter: (t) =>
        netifd.start(
          Object.fromEntries(t.wans.map((w, i) => [`wan${i}`, dump(true, w.source, w.gateway, w.routerDev)])),
        ),
    });
  }, 90_000);

  afterAll(async () => {
    await f?.dispose();
    client?.close();
    netifdConn?.close();
    await broker?.stop();
  }, 30_000);

  it('binds each link where netifd says and serves `ubus call wanbond status`', async () => {
    const r = await client.call('wanbond', 'status');
    expect(r.status).toBe(0);
    const s = r.data as { role: string; state: string; links: Array<Record<string, unknown>> };
    expect(s.role).toBe('router');
    expect(s.state).toBe('established');
    expect(s.links).toEqual(
      f.topo.wans.map((w, i) =>
        expect.objectContaining({ name: `wan${i}`, interface: `wan${i}`, device: w.routerDev, source: w.source }),
      ),
    );
    expect(JSON.stringify(r.data)).not.toContain(f.keys.router);
  });

  it('policy routing sends LAN traffic into the tunnel (the router has no default route of its own)', async () => {
    const rules = await ipRules(f.topo.ns.router);
    const lanRule = rules.find((r) => r.iif === `${f.topo.prefix}rl` && r.priority >= 900 && r.priority <= 939);
    expect(lanRule, JSON.stringify(rules)).toBeDefined();
    const main = await inNs(f.topo.ns.router, 'ip', ['-4', 'route', 'show', 'default']);
    expect(main.trim()).toBe('');
    await inNs(f.topo.ns.lan, 'ping', ['-c', '2', '-W', '2', f.topo.inetAddress]);
  });

  it('netifd taking a WAN down takes the link down and publishes wanbond.link on ubus', async () => {
    const events: Array<Record<string, unknown>> = [];
    const listener = await client.listen('wanbond.link', (_ev, data) => {
      events.push(data as Record<string, unknown>);
    });
    try {
      const w = f.topo.wans[1]!;
      await netifd.change('wan1', dump(false, '', '', w.routerDev));
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.link === 'wan1' && e.to === 'down') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(events, JSON.stringify(events)).toContainEqual(expect.objectContaining({ link: 'wan1', to: 'down' }));
      const r = await client.call('wanbond', 'links');
      const links = (r.data as { links: Array<{ name: string; state: string }> }).links;
      expect(links.find((l) => l.name === 'wan1')?.state).toBe('down');
      // The tunnel goes on over the other two.
      await f.waitForTunnel(5_000);
      await netifd.change('wan1', dump(true, w.source, w.gateway, w.routerDev));
      const back = Date.now() + 10_000;
      while (!events.some((e) => e.link === 'wan1' && e.to === 'up') && Date.now() < back) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(events).toContainEqual(expect.objectContaining({ link: 'wan1', to: 'up' }));
    } finally {
      await listener.close();
    }
  }, 30_000);

  it('stopping the router removes its policy rules and the ubus object', async () => {
    expect(await f.router.stop('SIGTERM', 10_000)).toBe(0);
    const rules = await ipRules(f.topo.ns.router);
    expect(rules.filter((r) => r.priority >= 900 && r.priority <= 939)).toEqual([]);
    const nft = await inNs(f.topo.ns.router, 'nft', ['list', 'tables']);
    expect(nft).not.toMatch(/wanbond/);
    const r = await client.call('wanbond', 'status');
    expect(r.status).not.toBe(0);
  }, 20_000);
});
