/**
 * LuCI's MacVLAN helper (`macvlan_list`, `macvlan_add`, `macvlan_del`) on a RUNNING router daemon (the real bundle,
 * in a namespace of its own) with a real UCI tree in a temporary config dir: called over the unix control socket,
 * over ubus through the in-test fake ubusd, and through a real ubusd built from OpenWrt's sources when $UBUSD names
 * one. Checks the UCI it writes (macvlan device, DHCP interface, wan zone membership, wanbond link), that the daemon
 * picks the new link up at once, and that del removes every trace of it.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UbusClient } from '../../../src/ubus-js/src/index.js';
import { showPackage, UciContext, type UciPackage } from '../../../src/uci-parser/src/index.js';
import { callUnixControl } from '../../../src/wanbond/control/unix-socket.js';
import { generatePrivateKey, publicKeyOf } from '../../../src/wanbond/engine/keys.js';
import { isRoot, NamespaceSet } from '../../../src/wanbond/lab/netns.js';
import { type Broker, REAL_UBUSD, startFakeUbusd, startRealUbusd } from '../../unit/ubus-js/brokers.js';
import { privateBundle } from '../tunnel/fixture.js';
import { type NsProcess, startDaemon } from '../tunnel/process.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'unit', 'openwrt', 'fixtures');

type Reply = { status: number; data?: Record<string, unknown> };
type Call = (method: string, args?: Record<string, unknown>) => Promise<Reply>;

const variants: Array<[string, (() => Promise<Broker>) | undefined, boolean]> = [
  ['unix control socket', undefined, false],
  ['in-test fake ubusd', startFakeUbusd, false],
  ['REAL ubusd from $UBUSD', startRealUbusd, !REAL_UBUSD],
];

/** The `name` of each entry of a reply's list (links, macvlans). */
function names(r: Reply, list: string): string[] {
  return ((r.data?.[list] ?? []) as Array<{ name: string }>).map((x) => x.name);
}

function sectionOf(p: UciPackage, name: string): Record<string, string | string[]> | undefined {
  const s = p.section(name);
  if (!s) return undefined;
  return Object.fromEntries([['.type', s.type], ...s.options.map((o) => [o.name, o.value])]);
}

describe.each(variants)('MacVLAN helper on a running router over the %s', (label, startBroker, skip) => {
  describe.skipIf(!isRoot() || skip)(`${label} (needs root)`, () => {
    const nsSet = new NamespaceSet();
    let dir: string;
    let conf: string;
    let broker: Broker | undefined;
    let client: UbusClient | undefined;
    let router: NsProcess;
    let call: Call;
    const before: Record<string, string> = {};
    const load = (pkg: string) => new UciContext({ confdir: conf, conf2dir: null }).load(pkg);
    const show = (pkg: string) => showPackage(load(pkg));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wbmacvlan-'));
      conf = join(dir, 'config');
      cpSync(FIXTURES, conf, { recursive: true });
      const serverKey = publicKeyOf(generatePrivateKey());
      // The daemon's own config is <confdir>/wanbond, as on OpenWrt: the helper adds the link there.
      writeFileSync(
        join(conf, 'wanbond'),
        `config wanbond 'main'
\toption enabled '1'
\toption server '127.0.0.1'
\toption port '5555'
\toption private_key '${generatePrivateKey()}'
\toption server_key '${serverKey}'
\toption address '10.255.0.2/24'
\toption tun '${nsSet.prefix}t'

config link 'wan'
\toption device 'lo'
\toption source '127.0.0.1'
`,
        { mode: 0o600 },
      );
      for (const pkg of ['network', 'firewall', 'wanbond']) before[pkg] = show(pkg);
      const ns = await nsSet.add('r');
      const bundle = privateBundle(dir);
      const ctl = join(dir, 'ctl.sock');
      const extra = ['--control-socket', ctl, '--policy-routing', 'off'];
      if (startBroker) {
        broker = await startBroker();
        client = await UbusClient.connect({ socket: broker.socket });
        extra.push('--ubus-socket', broker.socket);
      }
      router = startDaemon(bundle, ns, 'router', join(conf, 'wanbond'), extra);
      if (client) {
        await router.waitFor(/ubus object wanbond registered/, 20_000);
        const c = client;
        call = async (method, args = {}) => {
          const r = await c.call('wanbond', method, args);
          return { status: r.status, ...(r.data ? { data: r.data as Record<string, unknown> } : {}) };
        };
      } else {
        await router.waitFor(/control socket/, 20_000);
        call = (method, args = {}) => callUnixControl(ctl, method, args);
      }
    }, 60_000);

    afterAll(async () => {
      await router?.stop('SIGTERM', 5_000);
      client?.close();
      await broker?.stop();
      nsSet.dispose();
      rmSync(dir, { recursive: true, force: true });
    }, 20_000);

    it('macvlan_add writes the macvlan device, a DHCP interface in the wan zone and a link the daemon takes up', async () => {
      const add = await call('macvlan_add', { parent: 'eth1', add_link: true });
      expect(add.status, router.output()).toBe(0);
      expect(add.data).toMatchObject({ device: 'vwan1', interface: 'wan1', link: 'wan1', reload: { ok: true } });
      const mac = add.data?.macaddr as string;
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      // Locally administered unicast: DHCP servers give each modem port its own lease.
      expect(Number.parseInt(mac.slice(0, 2), 16) & 0x03).toBe(0x02);

      const network = load('network');
      expect(sectionOf(network, 'wan1_dev')).toEqual({
        '.type': 'device',
        name: 'vwan1',
        type: 'macvlan',
        ifname: 'eth1',
        mode: 'private',
        macaddr: mac,
      });
      // netifd wants a metric per WAN: the next ten above the fixture's highest (30).
      expect(sectionOf(network, 'wan1')).toEqual({
        '.type': 'interface',
        device: 'vwan1',
        proto: 'dhcp',
        metric: '40',
      });
      const wanZone = load('firewall')
        .sectionsOfType('zone')
        .find((z) => z.options.some((o) => o.name === 'name' && o.value === 'wan'));
      expect(wanZone?.options.find((o) => o.name === 'network')?.value).toEqual(['wan', 'wan6', 'wan1']);
      expect(sectionOf(load('wanbond'), 'wan1')).toEqual({ '.type': 'link', interface: 'wan1' });

      // The daemon reloaded its config: the new link is one of its links now.
      const links = await call('links');
      expect(links.status).toBe(0);
      expect(names(links, 'links')).toEqual(['wan', 'wan1']);
    });

    it('macvlan_list shows it with its parent, MAC and link, next to the MacVLANs that were there', async () => {
      const r = await call('macvlan_list');
      expect(r.status).toBe(0);
      const list = (r.data?.macvlans ?? []) as Array<Record<string, unknown>>;
      expect(names(r, 'macvlans')).toEqual(['wan2mac', 'wan3mac', 'vwan1']);
      expect(list[2]).toMatchObject({ device: 'vwan1', parent: 'eth1', interface: 'wan1', proto: 'dhcp', up: false });
      expect(list[2]?.links).toEqual(['wan1']);
    });

    it('a second one takes the next free name; add_link false leaves wanbond alone', async () => {
      const wanbond = show('wanbond');
      const r = await call('macvlan_add', {
        parent: 'eth1',
        name: 'lte',
        macaddr: '02:AA:BB:CC:DD:01',
        add_link: false,
      });
      expect(r.status).toBe(0);
      expect(r.data).toMatchObject({ device: 'vlte', interface: 'lte', macaddr: '02:aa:bb:cc:dd:01' });
      expect(r.data).not.toHaveProperty('link');
      expect(show('wanbond')).toBe(wanbond);
      expect(sectionOf(load('network'), 'lte')).toMatchObject({ device: 'vlte', proto: 'dhcp', metric: '50' });
    });

    it('refusals are INVALID_ARGUMENT and change nothing', async () => {
      const now = { network: show('network'), firewall: show('firewall'), wanbond: show('wanbond') };
      expect((await call('macvlan_add', { parent: 'eth1', name: 'wan1' })).status).toBe(2); // exists
      expect((await call('macvlan_add', { parent: 'eth 1' })).status).toBe(2);
      expect((await call('macvlan_add', {})).status).toBe(2);
      expect((await call('macvlan_del', { name: 'wan' })).status).toBe(2); // not a MacVLAN WAN
      expect((await call('macvlan_del', { name: 'nosuch' })).status).toBe(2);
      expect({ network: show('network'), firewall: show('firewall'), wanbond: show('wanbond') }).toEqual(now);
    });

    it('macvlan_del (by device, as LuCI does, or by interface) removes every trace, and the daemon drops the link', async () => {
      const a = await call('macvlan_del', { name: 'vwan1' });
      expect(a.status).toBe(0);
      expect(a.data).toMatchObject({ interface: 'wan1', reload: { ok: true } });
      const b = await call('macvlan_del', { name: 'lte' });
      expect(b.status).toBe(0);
      for (const pkg of ['network', 'firewall', 'wanbond']) expect(show(pkg), pkg).toBe(before[pkg]);
      const links = await call('links');
      expect(names(links, 'links')).toEqual(['wan']);
      const list = await call('macvlan_list');
      expect(names(list, 'macvlans')).toEqual(['wan2mac', 'wan3mac']);
    });

    it("status carries the server address the links dial as the tunnel's public address", async () => {
      const r = await call('status');
      expect(r.status).toBe(0);
      expect(r.data?.tunnel).toMatchObject({ public_address: '127.0.0.1' });
    });
  });
});
