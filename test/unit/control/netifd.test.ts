/**
 * netifd integration against a stand-in netifd that we register ourselves with ubus-js (objects
 * `network.interface` and `network.interface.<name>`, status dumps in netifd's format, `interface.update` /
 * `interface.down` notifications and the `network.interface` event), on the in-test FAKE ubusd and on a REAL
 * ubusd when $UBUSD names one. The last test moves a real UDP socket between loopback source addresses as
 * netifd reports the WAN's new address, the way the router daemon re-binds a link without a restart.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UbusClient } from '../../../src/ubus-js/src/index.js';
import type { LinkConfig } from '../../../src/wanbond/config/types.js';
import { netifdLinkResolver, parseInterfaceStatus, resolveInterface } from '../../../src/wanbond/openwrt/netifd.js';
import { type LinkPlacement, watchLinkInterfaces } from '../../../src/wanbond/openwrt/netifd-links.js';
import { watchNetifd } from '../../../src/wanbond/openwrt/netifd-watch.js';
import { type Broker, REAL_UBUSD, startFakeUbusd, startRealUbusd } from '../ubus-js/brokers.js';
import { dump, FakeNetifd } from './fake-netifd.js';

describe('parseInterfaceStatus', () => {
  it('takes l3_device, the first IPv4 address, a global IPv6 address and the default route nexthop', () => {
    expect(parseInterfaceStatus('wan1', dump(true, '192.0.2.10', '192.0.2.1'))).toEqual({
      interface: 'wan1',
      up: true,
      available: true,
      device: 'eth1',
      source: '192.0.2.10',
      source4: '192.0.2.10',
      source6: '2001:db8::10',
      gateway: '192.0.2.1',
      proto: 'dhcp',
      uptime: 42,
    });
  });

  it('a down interface has no device or source; pending is not available', () => {
    expect(parseInterfaceStatus('wan1', dump(false, '', ''))).toEqual({
      interface: 'wan1',
      up: false,
      available: true,
      proto: 'dhcp',
    });
    expect(parseInterfaceStatus('x', { up: false, pending: true }).available).toBe(false);
    expect(parseInterfaceStatus('x', { up: true, 'ipv4-address': 'junk', route: [null, 3] })).toEqual({
      interface: 'x',
      up: true,
      available: true,
    });
  });
});

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const suites: [string, () => Promise<Broker>, boolean][] = [
  ['in-test FAKE ubusd', startFakeUbusd, false],
  ['REAL ubusd from $UBUSD', startRealUbusd, !REAL_UBUSD],
];

for (const [label, start, skip] of suites) {
  describe.skipIf(skip)(`netifd over ubus (stand-in netifd on ${label})`, () => {
    let broker: Broker;
    let netifdConn: UbusClient;
    let daemonConn: UbusClient;
    let netifd: FakeNetifd;

    beforeAll(async () => {
      broker = await start();
      netifdConn = await UbusClient.connect({ socket: broker.socket });
      daemonConn = await UbusClient.connect({ socket: broker.socket });
      netifd = new FakeNetifd(netifdConn);
      await netifd.start({
        wan1: dump(true, '127.0.0.2', '127.0.0.1', 'vwan1'),
        wan2: dump(false, '', ''),
      });
    });
    afterAll(async () => {
      daemonConn.close();
      netifdConn.close();
      await broker.stop();
    });

    it('resolves a link interface through network.interface.<name> status', async () => {
      expect(await resolveInterface(daemonConn, 'wan1')).toMatchObject({
        up: true,
        device: 'vwan1',
        source: '127.0.0.2',
      });
      await expect(resolveInterface(daemonConn, 'nope')).rejects.toThrow(/no interface 'nope'/);
      const resolve = netifdLinkResolver(daemonConn);
      const link: LinkConfig = { name: 'l1', interface: 'wan1', enabled: true, backup: false };
      expect(await resolve(link)).toEqual({ up: true, device: 'vwan1', source: '127.0.0.2', gateway: '127.0.0.1' });
      expect(await resolve({ ...link, source: '127.0.0.9' })).toMatchObject({ source: '127.0.0.9', device: 'vwan1' });
      expect(await resolve({ name: 'l2', device: 'eth9', source: '10.0.0.1', enabled: true, backup: false })).toEqual({
        device: 'eth9',
        source: '10.0.0.1',
      });
    });

    it('reports the initial state, then notifications and events, only on real changes', async () => {
      const seen: [string, boolean, string | undefined, string][] = [];
      const w = await watchNetifd(daemonConn, (st, reason) => seen.push([st.interface, st.up, st.source, reason]), {
        interfaces: ['wan1', 'wan2'],
      });
      expect(seen.sort()).toEqual([
        ['wan1', true, '127.0.0.2', 'initial'],
        ['wan2', false, undefined, 'initial'],
      ]);
      seen.length = 0;
      await netifd.change('wan2', dump(true, '127.0.0.3', '127.0.0.1'));
      await until(() => seen.length === 1);
      expect(seen[0]).toEqual(['wan2', true, '127.0.0.3', 'interface.update']);
      // A refresh with nothing new (netifd sends these for lease renewals) is not reported.
      await netifd.change('wan2', dump(true, '127.0.0.3', '127.0.0.1'));
      // An event without a notification (older netifd, or a missed one) still leads to a fresh read.
      await netifd.change('wan1', dump(false, '', ''), { notify: false, event: true });
      await until(() => seen.length === 2);
      expect(seen[1]).toEqual(['wan1', false, undefined, 'ifdown']);
      await netifd.change('wan1', dump(true, '127.0.0.2', '127.0.0.1', 'vwan1'));
      await until(() => seen.length === 3);
      expect(seen[2]).toEqual(['wan1', true, '127.0.0.2', 'interface.update']);
      expect(w.states.get('wan2')?.source).toBe('127.0.0.3');
      await w.close();
    });

    it('netifd events move a link: its real UDP socket is re-bound to the new source address', async () => {
      const receiver = createSocket('udp4');
      await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
      const port = receiver.address().port;
      const arrivals: string[] = [];
      receiver.on('message', (_m, rinfo) => arrivals.push(rinfo.address));

      // The router daemon's part, reduced to one link: bind where netifd says, send, re-bind on change.
      let sock: UdpSocket | undefined;
      const placements: LinkPlacement[] = [];
      const links: LinkConfig[] = [{ name: 'modem', interface: 'wan1', enabled: true, backup: false }];
      const rebind = async (p: LinkPlacement) => {
        placements.push(p);
        sock?.close();
        sock = undefined;
        if (!p.up || !p.source) return;
        const s = createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, p.source, r));
        sock = s;
      };
      let chain = Promise.resolve();
      const watch = await watchLinkInterfaces(
        daemonConn,
        () => links,
        (p) => {
          chain = chain.then(() => rebind(p));
        },
      );
      const send = async () => {
        await chain;
        sock?.send('probe', port, '127.0.0.1');
      };
      await send();
      await until(() => arrivals.length === 1);
      expect(arrivals[0]).toBe('127.0.0.2');

      await netifd.change('wan1', dump(true, '127.0.0.4', '127.0.0.1', 'vwan1'));
      await until(() => placements.length === 2);
      await send();
      await until(() => arrivals.length === 2);
      expect(arrivals[1]).toBe('127.0.0.4');

      await netifd.change('wan1', dump(false, '', ''));
      await until(() => placements.length === 3);
      await chain;
      expect(placements[2]).toMatchObject({ link: 'modem', up: false, reason: 'interface.down' });
      expect(sock).toBeUndefined();

      await watch.close();
      receiver.close();
    });

    it('keeps following netifd after ubusd restarts (re-subscribes and reads everything again)', async () => {
      const seen: [string, boolean, string][] = [];
      const w = await watchNetifd(daemonConn, (st, reason) => seen.push([st.interface, st.up, reason]), {
        interfaces: ['wan1'],
      });
      await until(() => seen.length === 1);
      await broker.restart();
      // netifd re-registers its objects after the restart, as the real one does when its connection comes back.
      await until(() => netifdConn.connected && daemonConn.connected);
      await new Promise((r) => setTimeout(r, 200));
      await netifd.change('wan1', dump(true, '127.0.0.5', '127.0.0.1', 'vwan1'));
      await until(() => seen.some(([, up, reason]) => up && reason !== 'initial'));
      expect(w.states.get('wan1')?.source).toBe('127.0.0.5');
      await w.close();
    });
  });
}
