/**
 * luci-app-wanbond as a package: the menu and ACL JSON are well-formed and consistent with the views, the ACL grants
 * exactly what the views call (and nothing that writes through a read grant), every view parses and requires only
 * modules that exist, and every translatable string is in the .pot.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePot, nonLiteralCalls, potIds, readPot, scan } from './i18n.js';
import { APP_DIR, compile, directives, fakeRpc, fileOf, filesUnder, loadModule, RESOURCES } from './loader.js';

const MENU = join(APP_DIR, 'root/usr/share/luci/menu.d/luci-app-wanbond.json');
const ACL = join(APP_DIR, 'root/usr/share/rpcd/acl.d/luci-app-wanbond.json');
const VIEWS = filesUnder(join(RESOURCES, 'view/wanbond'), '.js');
const MODULES = filesUnder(join(RESOURCES, 'wanbond'), '.js');
const ALL_JS = filesUnder(join(APP_DIR, 'htdocs'), '.js');

/** Classes luci-base (and luci-mod-network's widgets) ship; anything else must be a file of this app. */
const LUCI_CLASSES = new Set([
  'baseclass',
  'dom',
  'form',
  'fs',
  'network',
  'poll',
  'request',
  'rpc',
  'tools.widgets',
  'uci',
  'ui',
  'validation',
  'view',
]);

/**
 * What LuCI's `network` class calls to build its model (luci-base network.js, initNetworkState), exactly as luci-base
 * grants it in its own ACL group `luci-base-network-status`. The Links tab needs that model: its interface picker
 * (widgets.NetworkSelect -> network.getNetworks) and its port list (network.getDevices). Every call is wrapped in
 * L.resolveDefault there, so a missing grant fails silently: the picker is empty for a login without it. All of it
 * is granted so the class makes no refused call (checked by hand with rpcd and a login that has only
 * luci-app-wanbond and luci-base), and nothing beyond it.
 */
const NETWORK_CLASS = {
  ubus: {
    'luci-rpc': ['getBoardJSON', 'getHostHints', 'getNetworkDevices', 'getWirelessDevices'],
    network: ['get_proto_handlers'],
    'network.interface': ['dump'],
  } as Record<string, string[]>,
  uci: ['luci', 'network', 'wireless'],
};

/** Methods that change something: they must be granted under "write", never under "read". */
const MUTATING = new Set(['reload', 'speedtest', 'join', 'new_key', 'macvlan_add', 'macvlan_del']);

interface AclGroup {
  description: string;
  read?: { ubus?: Record<string, string[]>; uci?: string[]; file?: unknown };
  write?: { ubus?: Record<string, string[]>; uci?: string[]; file?: unknown };
}

const menu = JSON.parse(readFileSync(MENU, 'utf8')) as Record<
  string,
  { title: string; order: number; action: { type: string; path?: string }; depends?: Record<string, unknown> }
>;
const acl = JSON.parse(readFileSync(ACL, 'utf8')) as Record<string, AclGroup>;
const group = acl['luci-app-wanbond'] as AclGroup;

function declaredCalls() {
  const rpc = fakeRpc();
  const api = loadModule('wanbond.api', { rpc });
  return { api, declared: rpc.declared };
}

describe('menu.d', () => {
  it('puts WAN Bonding under Network with tabs that are views of this package', () => {
    const root = menu['admin/network/wanbond'];
    expect(root?.title).toBe('WAN Bonding');
    expect(root?.action).toEqual({ type: 'alias', path: 'admin/network/wanbond/status' });
    expect(root?.depends).toEqual({ acl: ['luci-app-wanbond'], uci: { wanbond: true } });
    const tabs = Object.entries(menu).filter(([k]) => k.startsWith('admin/network/wanbond/'));
    expect(tabs.map(([k]) => k.split('/').pop())).toEqual(['status', 'server', 'links', 'rules', 'diagnostics']);
    for (const [path, entry] of tabs) {
      expect(entry.title, path).toBeTruthy();
      expect(typeof entry.order, path).toBe('number');
      expect(entry.action.type, path).toBe('view');
      expect(existsSync(join(RESOURCES, 'view', `${entry.action.path}.js`)), `${path} -> ${entry.action.path}`).toBe(
        true,
      );
    }
    // Every view file is reachable from the menu.
    const routed = new Set(tabs.map(([, e]) => join(RESOURCES, 'view', `${e.action.path}.js`)));
    expect(VIEWS.filter((v) => !routed.has(v))).toEqual([]);
    // The alias target exists.
    expect(menu[root?.action.path as string]).toBeDefined();
  });
});

describe('acl.d', () => {
  it('has one group, named as the menu requires, with a description', () => {
    expect(Object.keys(acl)).toEqual(['luci-app-wanbond']);
    expect(group.description).toMatch(/wanbond/i);
  });

  it('writes only uci wanbond and the wanbond object, and has no file or exec rights', () => {
    expect(group.write?.uci).toEqual(['wanbond']);
    expect(Object.keys(group.write?.ubus ?? {})).toEqual(['wanbond']);
    expect(group.read?.file).toBeUndefined();
    expect(group.write?.file).toBeUndefined();
  });

  it('reads, besides wanbond, exactly what the LuCI network class needs for the Links tab', () => {
    const needsNetwork = VIEWS.filter((f) =>
      directives(readFileSync(f, 'utf8')).some((d) => d.name === 'network' || d.name === 'tools.widgets'),
    );
    expect(needsNetwork.map((f) => relative(RESOURCES, f))).toEqual(['view/wanbond/links.js']);
    const others = Object.fromEntries(Object.entries(group.read?.ubus ?? {}).filter(([obj]) => obj !== 'wanbond'));
    expect(others).toEqual(NETWORK_CLASS.ubus);
    expect(group.read?.uci).toEqual(['wanbond', ...NETWORK_CLASS.uci]);
  });

  it('grants every method the views call, and only those (minimal and complete)', () => {
    const { declared } = declaredCalls();
    expect(declared.length).toBeGreaterThan(0);
    expect(new Set(declared.map((d) => d.object))).toEqual(new Set(['wanbond']));
    const used = new Set(declared.map((d) => d.method));
    const granted = new Set([...(group.read?.ubus?.wanbond ?? []), ...(group.write?.ubus?.wanbond ?? [])]);
    expect([...used].sort()).toEqual([...granted].sort());
  });

  it('grants changing methods under write only, and reading methods under read', () => {
    for (const m of group.read?.ubus?.wanbond ?? []) expect(MUTATING.has(m), `read grants ${m}`).toBe(false);
    for (const m of group.write?.ubus?.wanbond ?? []) expect(MUTATING.has(m), `write grants ${m}`).toBe(true);
  });

  it('covers every uci config the views load or write', () => {
    const reads = new Set<string>();
    const writes = new Set<string>();
    for (const f of ALL_JS) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/uci\.(load|get|sections|get_first)\(\s*'([\w-]+)'/g)) reads.add(m[2] as string);
      for (const m of text.matchAll(/uci\.(set|add|remove|unset|save)\(\s*'([\w-]+)'/g)) writes.add(m[2] as string);
      for (const m of text.matchAll(/new form\.Map\(\s*'([\w-]+)'/g)) {
        reads.add(m[1] as string);
        writes.add(m[1] as string);
      }
    }
    expect(reads.size).toBeGreaterThan(0);
    for (const c of reads) expect(group.read?.uci, `read ${c}`).toContain(c);
    for (const c of writes) expect(group.write?.uci, `write ${c}`).toContain(c);
  });

  it('only api.js talks to rpc, so the check above sees every call', () => {
    const withRpc = ALL_JS.filter((f) => /rpc\.declare\s*\(/.test(readFileSync(f, 'utf8')));
    expect(withRpc.map((f) => relative(RESOURCES, f))).toEqual(['wanbond/api.js']);
  });
});

describe('JavaScript files', () => {
  it.each(ALL_JS.map((f) => [relative(RESOURCES, f), f]))('%s parses as a LuCI class file', (_name, file) => {
    expect(() => compile(file)).not.toThrow();
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith("'use strict';\n")).toBe(true);
    // jsmin (LuCI's minifier) mangles template literals; keep them out of the code (comments may quote commands).
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    expect(code.includes('`')).toBe(false);
    expect(text).toMatch(/\nreturn (view|baseclass)\.extend\(/);
  });

  it.each(ALL_JS.map((f) => [relative(RESOURCES, f), f]))('%s requires only classes that exist', (_name, file) => {
    for (const d of directives(readFileSync(file, 'utf8'))) {
      if (d.name.startsWith('wanbond.')) expect(existsSync(fileOf(d.name)), d.name).toBe(true);
      else expect(LUCI_CLASSES.has(d.name), d.name).toBe(true);
    }
  });

  it('every shared module loads and yields an object of functions', () => {
    const { api } = declaredCalls();
    expect(typeof api.status).toBe('function');
    for (const f of MODULES) {
      const name = `wanbond.${relative(join(RESOURCES, 'wanbond'), f).replace(/\.js$/, '')}`;
      const mod = loadModule(name, { rpc: fakeRpc(), ui: {} });
      expect(Object.keys(Object.getPrototypeOf(mod)).length, name).toBeGreaterThan(0);
    }
  });

  it('api calls resolve to the reply, to the ubus error code, or to an Error (never reject)', async () => {
    const rpc = {
      declare: (o: { method: string }) => () =>
        o.method === 'status'
          ? Promise.resolve({ state: 'up' })
          : o.method === 'events'
            ? Promise.resolve(4)
            : Promise.reject(new Error('Access denied')),
    };
    const api = loadModule('wanbond.api', { rpc });
    await expect(api.status()).resolves.toEqual({ state: 'up' });
    await expect(api.events()).resolves.toBe(4);
    const e = await api.policies();
    expect(e).toBeInstanceOf(Error);
    expect(api.ok({})).toBe(true);
    expect(api.ok(4)).toBe(false);
    expect(api.ok(e)).toBe(false);
  });

  it('passes positional arguments as the declared ubus parameters', () => {
    const { declared } = declaredCalls();
    const params = Object.fromEntries(declared.map((d) => [d.method, d.params]));
    expect(params.speedtest).toEqual(['link']);
    expect(params.speedtest_result).toEqual(['job']);
    expect(params.join).toEqual(['line', 'apply']);
    expect(params.status).toEqual([]);
  });
});

describe('translations', () => {
  it('every _() call has a literal first argument (xgettext can only extract those)', () => {
    expect(ALL_JS.flatMap(nonLiteralCalls)).toEqual([]);
  });

  it('po/templates/wanbond.pot holds exactly the strings of the sources', () => {
    // Regenerate after changing strings: WANBOND_WRITE_POT=1 npx vitest run test/unit/luci/package.test.ts
    if (process.env.WANBOND_WRITE_POT === '1') writeFileSync(join(APP_DIR, 'po/templates/wanbond.pot'), makePot());
    const inSource = [...scan().keys()].sort();
    const inPot = potIds(readPot()).sort();
    expect(inSource.length).toBeGreaterThan(50);
    expect(inPot).toEqual(inSource);
    // Menu titles are translated by LuCI from the same catalogue.
    expect(inPot).toContain('WAN Bonding');
    expect(inPot).toContain('Grant access to WAN Bonding (wanbond)');
  });
});

describe('Makefile', () => {
  it('builds with luci.mk as an architecture-independent package depending on wanbond', () => {
    const mk = readFileSync(join(APP_DIR, 'Makefile'), 'utf8');
    expect(mk).toMatch(/^LUCI_TITLE:=.+$/m);
    expect(mk).toMatch(/^LUCI_DEPENDS:=.*\+wanbond\b/m);
    expect(mk).toMatch(/^LUCI_PKGARCH:=all$/m);
    expect(mk).toMatch(/^include \.\.\/\.\.\/luci\.mk$/m);
    expect(mk).toMatch(/^include \$\(TOPDIR\)\/rules\.mk$/m);
  });
});
