import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runUciCli } from 'uci-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { macvlan } from '../../../src/wanbond/cli/macvlan.js';
import { addMacvlanWan, delMacvlanWan, listMacvlanWans, macvlanMac } from '../../../src/wanbond/openwrt/macvlan.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const dirs: string[] = [];

/** A fresh config dir (network from the uci vector 25, a stock-like firewall, a wanbond config) and save dir. */
function setup(): { conf: string; save: string } {
  const root = mkdtempSync(join(tmpdir(), 'wbmv-'));
  dirs.push(root);
  cpSync(FIXTURES, join(root, 'conf'), { recursive: true });
  return { conf: join(root, 'conf'), save: join(root, 'save') };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

/** Runs the same edits with the uci command line (uci-parser's libuci-compatible one) as the reference. */
function uci(conf: string, save: string, ...argv: string[]): void {
  const err: string[] = [];
  const rc = runUciCli(['uci', '-c', conf, '-t', save, ...argv], {
    stdout: () => {},
    stderr: (t) => err.push(t),
  });
  if (rc !== 0) throw new Error(`uci ${argv.join(' ')}: ${err.join('')}`);
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), readStdin: async () => '' },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('MacVLAN WAN helper', () => {
  it('writes exactly what the equivalent uci commands write', () => {
    const a = setup();
    const r = addMacvlanWan(
      a.conf,
      { parent: 'eth0', name: 'wan1', ipaddr: '192.168.11.10/24', gateway: '192.168.11.1' },
      { savedir: a.save, conf2dir: null },
    );
    const mac = macvlanMac('eth0', 'wan1');
    expect(r.warnings).toEqual([]);
    expect(r.changes).toBe(`network.wan1_dev='device'
network.wan1_dev.name='vwan1'
network.wan1_dev.type='macvlan'
network.wan1_dev.ifname='eth0'
network.wan1_dev.mode='private'
network.wan1_dev.macaddr='${mac}'
network.wan1='interface'
network.wan1.device='vwan1'
network.wan1.proto='static'
network.wan1.ipaddr='192.168.11.10'
network.wan1.netmask='255.255.255.0'
network.wan1.gateway='192.168.11.1'
network.wan1.metric='40'
firewall.cfg03dc81.network+='wan1'
wanbond.wan1='link'
wanbond.wan1.interface='wan1'
`);

    const b = setup();
    for (const line of r.changes.trim().split('\n')) {
      const m = /^([^=+]+)(\+?=)'(.*)'$/.exec(line)!;
      uci(b.conf, b.save, m[2] === '+=' ? 'add_list' : 'set', `${m[1]}=${m[3]}`);
    }
    for (const pkg of ['network', 'firewall', 'wanbond']) uci(b.conf, b.save, 'commit', pkg);
    for (const pkg of ['network', 'firewall', 'wanbond']) expect(read(a.conf, pkg)).toBe(read(b.conf, pkg));

    expect(
      read(a.conf, 'network').endsWith(`
config device 'wan1_dev'
	option name 'vwan1'
	option type 'macvlan'
	option ifname 'eth0'
	option mode 'private'
	option macaddr '${mac}'

config interface 'wan1'
	option device 'vwan1'
	option proto 'static'
	option ipaddr '192.168.11.10'
	option netmask '255.255.255.0'
	option gateway '192.168.11.1'
	option metric '40'

`),
    ).toBe(true);
    expect(read(a.conf, 'firewall')).toContain("\tlist network 'wan6'\n\tlist network 'wan1'\n");
    expect(read(a.conf, 'wanbond')).toContain("config link 'wan1'\n\toption interface 'wan1'\n");
  });

  it('keeps pending uci changes and commits them with its own, like uci commit', () => {
    const a = setup();
    uci(a.conf, a.save, 'set', 'network.lan.ipaddr=192.168.2.1');
    addMacvlanWan(a.conf, { parent: 'eth0', name: 'wan1', dhcp: true }, { savedir: a.save, conf2dir: null });
    expect(read(a.conf, 'network')).toContain("option ipaddr '192.168.2.1'");
    expect(read(a.save, 'network')).toBe('');
  });

  it('with commit false only saves pending changes (uci changes shows them)', () => {
    const a = setup();
    const before = read(a.conf, 'network');
    addMacvlanWan(
      a.conf,
      { parent: 'eth0', name: 'wan1', dhcp: true, commit: false },
      { savedir: a.save, conf2dir: null },
    );
    expect(read(a.conf, 'network')).toBe(before);
    expect(read(a.save, 'network')).toContain("network.wan1.proto='dhcp'");
    // A second add sees the pending first one.
    expect(() =>
      addMacvlanWan(a.conf, { parent: 'eth0', name: 'wan1', dhcp: true }, { savedir: a.save, conf2dir: null }),
    ).toThrow(/network.wan1 already exists/);
    expect(listMacvlanWans(a.conf, { savedir: a.save, conf2dir: null }).map((w) => w.interface)).toContain('wan1');
  });

  it('lists MacVLAN WANs with zone and link, and removes only MacVLAN WANs', () => {
    const a = setup();
    const u = { savedir: a.save, conf2dir: null };
    addMacvlanWan(a.conf, { parent: 'eth0', name: 'wan1', ipaddr: '192.168.11.10/24', gateway: '192.168.11.1' }, u);
    addMacvlanWan(
      a.conf,
      { parent: 'eth0', name: 'wan2', dhcp: true, mode: 'bridge', macaddr: '02:AA:00:00:00:02' },
      u,
    );
    const list = listMacvlanWans(a.conf, u);
    expect(list.map((w) => [w.interface, w.device, w.parent, w.mode, w.proto, w.metric, w.zones, w.links])).toEqual([
      ['wanb', 'wan2mac', 'eth1', 'private', 'dhcp', '20', [], []],
      ['wanc', 'wan3mac', 'eth1', undefined, 'static', '30', [], []],
      ['wan1', 'vwan1', 'eth0', 'private', 'static', '40', ['wan'], ['wan1']],
      ['wan2', 'vwan2', 'eth0', 'bridge', 'dhcp', '50', ['wan'], ['wan2']],
    ]);
    expect(list[3]!.macaddr).toBe('02:aa:00:00:00:02');

    const r = delMacvlanWan(a.conf, 'wan1', {}, u);
    expect(r.changes).toBe("-network.wan1\n-network.wan1_dev\nfirewall.cfg03dc81.network-='wan1'\n-wanbond.wan1\n");
    expect(read(a.conf, 'network')).not.toContain('vwan1');
    expect(read(a.conf, 'firewall')).not.toContain("'wan1'");
    expect(read(a.conf, 'wanbond')).not.toContain('wan1');
    expect(() => delMacvlanWan(a.conf, 'wan', {}, u)).toThrow(/network.wan is not a MacVLAN WAN/);
    expect(() => delMacvlanWan(a.conf, 'nope', {}, u)).toThrow(/no interface 'nope'/);
  });

  it('rejects bad or conflicting input before writing anything', () => {
    const a = setup();
    const u = { savedir: a.save, conf2dir: null };
    const before = read(a.conf, 'network');
    const add = (o: Parameters<typeof addMacvlanWan>[1]) => () => addMacvlanWan(a.conf, o, u);
    expect(add({ parent: 'eth0', name: 'wan1' })).toThrow(/--ipaddr ADDRESS\/PREFIX and --gateway, or --dhcp/);
    expect(add({ parent: 'eth0', name: 'wan1', ipaddr: '192.168.11.10' })).toThrow(/with prefix/);
    expect(add({ parent: 'eth0', name: 'wan1', ipaddr: '192.168.11.10/24' })).toThrow(/needs --gateway/);
    expect(add({ parent: 'eth0', name: 'wan1', dhcp: true, ipaddr: '1.2.3.4/24' })).toThrow(/drop --ipaddr/);
    expect(add({ parent: 'eth0', name: 'wan-1', dhcp: true })).toThrow(/--name 'wan-1'/);
    expect(add({ parent: 'eth0', name: 'averyveryverylong', dhcp: true })).toThrow(/--name/);
    expect(add({ parent: 'eth0', name: 'wanc', dhcp: true })).toThrow(/network.wanc already exists/);
    expect(add({ parent: 'eth0', name: 'wan9', dhcp: true, device: 'wan2mac' })).toThrow(/named 'wan2mac' already/);
    expect(add({ parent: 'eth0', name: 'wan9', dhcp: true, macaddr: 'zz' })).toThrow(/not a MAC/);
    expect(read(a.conf, 'network')).toBe(before);
    expect(existsSync(join(a.save, 'network'))).toBe(false);
  });

  it('warns instead of failing when there is no firewall or wanbond config', () => {
    const a = setup();
    unlinkSync(join(a.conf, 'firewall'));
    unlinkSync(join(a.conf, 'wanbond'));
    const r = addMacvlanWan(a.conf, { parent: 'eth0', name: 'wan1', dhcp: true }, { savedir: a.save, conf2dir: null });
    expect(r.warnings).toEqual([
      `no ${a.conf}/firewall: wan1 was not put in a firewall zone`,
      `no ${a.conf}/wanbond: no link added`,
    ]);
  });
});

describe('wanbond macvlan (CLI)', () => {
  it('adds, lists as a table and as JSON, and deletes', async () => {
    const a = setup();
    const common = ['-c', a.conf, '-t', a.save];
    let t = io();
    expect(
      await macvlan.run(
        [
          'add',
          '--parent',
          'eth0',
          '--name',
          'wan1',
          '--ipaddr',
          '192.168.11.10/24',
          '--gateway',
          '192.168.11.1',
          ...common,
        ],
        t.io,
      ),
    ).toBe(0);
    expect(t.out()).toMatch(/^network\.wan1_dev='device'\n[\s\S]*committed; apply with: reload_config\n$/);
    writeFileSync(
      join(a.conf, 'network'),
      read(a.conf, 'network').replace(/\n\nconfig device\n\toption name 'wan3mac'[\s\S]*?\n\n/, '\n\n'),
    );
    t = io();
    expect(await macvlan.run(['list', ...common], t.io)).toBe(0);
    expect(t.out()).toBe(
      `INTERFACE  DEVICE   PARENT  MODE     MACADDR            PROTO   ADDRESS           GATEWAY       METRIC  ZONE  LINK
wanb       wan2mac  eth1    private  02:00:00:00:00:02  dhcp    -                 -             20      -     -
wan1       vwan1    eth0    private  ${macvlanMac('eth0', 'wan1')}  static  192.168.11.10/24  192.168.11.1  40      wan   wan1
`,
    );
    t = io();
    expect(await macvlan.run(['list', '--json', ...common], t.io)).toBe(0);
    expect(JSON.parse(t.out())[1]).toMatchObject({ interface: 'wan1', gateway: '192.168.11.1', zones: ['wan'] });
    t = io();
    expect(await macvlan.run(['del', 'wan1', ...common], t.io)).toBe(0);
    expect(t.out()).toContain('-network.wan1\n');
  });

  it('reports usage errors with exit code 1', async () => {
    const a = setup();
    const cases: Array<[string[], RegExp]> = [
      [['add', '--parent', 'eth0'], /add needs --parent and --name/],
      [['add', '--parent', 'eth0', '--name', 'wan1', '--metric', 'x', '--dhcp'], /--metric 'x'/],
      [['frob'], /unknown command 'frob'/],
      [['list', '--bogus'], /unknown option '--bogus'/],
      [['del'], /del needs one interface name/],
      [['del', 'wan', '-c', a.conf, '-t', a.save], /not a MacVLAN WAN/],
      [['list', '-c', join(a.conf, 'missing')], /network not found/],
    ];
    for (const [args, re] of cases) {
      const t = io();
      expect(await macvlan.run(args, t.io)).toBe(1);
      expect(t.err()).toMatch(re);
    }
  });
});
