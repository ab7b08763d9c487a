import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlFields, member, untar, untgz } from './archives.js';
import {
  configOrStandIn,
  ROUTER_CONFIG_STANDIN,
  ROUTER_PACKAGE_FILES,
  requireBuild,
  root,
  version,
} from './fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'wanbond-ipk-test-'));
const EPOCH = '1700000000';
let config = '';
// A private copy: other builds may rewrite dist/ while this file runs.
const bundle = join(work, 'wanbond.js');

function buildIpk(out: string, ...extra: string[]): Buffer {
  const args = [join(root, 'scripts/ipk.mjs'), '--out', out, '--config', config, '--bundle', bundle, ...extra];
  execFileSync('node', args, {
    env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const files = readdirSync(out).sort();
  expect(files).toEqual([`luci-app-wanbond_${version}-1_all.ipk`, `wanbond_${version}-1_x86_64.ipk`]);
  return readFileSync(join(out, `wanbond_${version}-1_x86_64.ipk`));
}

let ipk: Buffer;
beforeAll(() => {
  requireBuild('dist/wanbond.js');
  copyFileSync(join(root, 'dist/wanbond.js'), bundle);
  config = configOrStandIn('openwrt/wanbond/files/wanbond.config', work, ROUTER_CONFIG_STANDIN);
  ipk = buildIpk(join(work, 'a'));
  // the musl build `make ipk` just made, kept for the reproducibility check
  copyFileSync(join(root, 'src/tuntap2/build/musl/tuntap2.node'), join(work, 'musl.node'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('make ipk (scripts/ipk.mjs)', () => {
  it('writes the gzip’d tar opkg reads: debian-binary, data.tar.gz, control.tar.gz', () => {
    expect(ipk.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const outer = untgz(ipk);
    expect(outer.map((m) => m.name)).toEqual(['./debian-binary', './data.tar.gz', './control.tar.gz']);
    expect(member(outer, './debian-binary').data.toString()).toBe('2.0\n');
    for (const m of outer) {
      expect([m.uid, m.gid, m.uname, m.mtime]).toEqual([0, 0, '', Number(EPOCH)]);
    }
  });

  it('has the control fields OpenWrt writes, taken from openwrt/wanbond/Makefile', () => {
    const outer = untgz(ipk);
    const control = untgz(member(outer, './control.tar.gz').data);
    const f = controlFields(member(control, './control').data.toString());
    expect([...f.keys()]).toEqual([
      'Package',
      'Version',
      'Depends',
      'Source',
      'SourceName',
      'License',
      'Section',
      'SourceDateEpoch',
      'Maintainer',
      'Architecture',
      'Installed-Size',
      'Description',
    ]);
    expect(f.get('Package')).toBe('wanbond');
    expect(f.get('Version')).toBe(`${version}-1`);
    const deps = f.get('Depends')!.split(', ');
    expect(deps[0]).toBe('libc');
    for (const d of ['node', 'kmod-tun', 'ip-full', 'kmod-nft-nat', 'nftables-json']) expect(deps).toContain(d);
    expect(f.get('Architecture')).toBe('x86_64');
    expect(f.get('Section')).toBe('net');
    expect(f.get('License')).toBe('MIT');
    expect(f.get('Maintainer')).toMatch(/^.+ <.+@.+>$/);
    // ipkg-build: Installed-Size is the byte count of the uncompressed data tar.
    expect(Number(f.get('Installed-Size'))).toBe(gunzipSync(member(outer, './data.tar.gz').data).length);
    expect(f.get('Description')!.split('\n').length).toBeGreaterThan(1);

    const makefile = readFileSync(join(root, 'openwrt/wanbond/Makefile'), 'utf8');
    expect(makefile).toMatch(new RegExp(`^PKG_VERSION:=${version.replace(/\./g, '\\.')}$`, 'm'));
    for (const d of deps.slice(1)) expect(makefile).toContain(`+${d}`);
  });

  it('lists /etc/config/wanbond as conffile and ships executable maintainer scripts', () => {
    const control = untgz(member(untgz(ipk), './control.tar.gz').data);
    expect(control.map((m) => m.name)).toEqual(['./', './conffiles', './control', './postinst', './prerm']);
    expect(member(control, './conffiles').data.toString()).toBe('/etc/config/wanbond\n');
    for (const s of ['./postinst', './prerm']) {
      const m = member(control, s);
      expect(m.mode).toBe(0o755);
      const text = m.data.toString();
      expect(text.startsWith('#!/bin/sh\n')).toBe(true);
      // live system only: never enable or start anything inside an image build or an offline root
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
      expect(text).toContain('[ -z "${IPKG_INSTROOT}" ] || exit 0');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, not a template
      expect(text).toContain('case "${PKG_ROOT:-/}" in');
      execFileSync('sh', ['-n', '-c', text]);
    }
  });

  it('installs bundle, musl addon, wrapper, init script, config and uci-defaults with their modes', () => {
    const data = untgz(member(untgz(ipk), './data.tar.gz').data);
    const files = data.filter((m) => m.type === 'file').map((m) => [m.name, m.mode.toString(8)]);
    expect(files).toEqual(ROUTER_PACKAGE_FILES.map(([path, mode]) => [`.${path}`, mode]));
    const dirs = data.filter((m) => m.type === 'dir');
    expect(dirs.map((d) => d.name)).toContain('./usr/lib/wanbond/');
    for (const d of dirs) expect(d.mode).toBe(0o755);
    expect(data.every((m) => m.type !== 'other' && m.uid === 0 && m.gid === 0)).toBe(true);

    expect(member(data, './usr/lib/wanbond/wanbond.js').data).toEqual(readFileSync(bundle));
    expect(member(data, './etc/init.d/wanbond').data).toEqual(
      readFileSync(join(root, 'openwrt/wanbond/files/wanbond.init')),
    );
    expect(member(data, './etc/config/wanbond').data).toEqual(readFileSync(config));
    const wrapper = member(data, './usr/bin/wanbond').data.toString();
    expect(wrapper).toContain('/usr/bin/node /usr/lib/wanbond/wanbond.js "$@"');
  });

  it('builds the addon for musl: an x86-64 shared object needing libc.so, not glibc’s libc.so.6', () => {
    const data = untgz(member(untgz(ipk), './data.tar.gz').data);
    const addon = join(work, 'tuntap2.node');
    writeFileSync(addon, member(data, './usr/lib/wanbond/tuntap2.node').data);
    const header = execFileSync('readelf', ['-h', addon], { encoding: 'utf8' });
    expect(header).toMatch(/Type:\s+DYN/);
    expect(header).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    const dynamic = execFileSync('readelf', ['-d', addon], { encoding: 'utf8' });
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
    expect(needed).toEqual(['libc.so']);
    const symbols = execFileSync('nm', ['-D', '--defined-only', addon], { encoding: 'utf8' });
    expect(symbols).toMatch(/ T napi_register_module_v1$/m);
    // stripped like the SDK does: no debug info, no build path inside
    expect(execFileSync('readelf', ['-S', addon], { encoding: 'utf8' })).not.toContain('.debug_info');
  });

  it('is reproducible: the same inputs give the same bytes', () => {
    expect(buildIpk(join(work, 'b'), '--addon', join(work, 'musl.node')).equals(ipk)).toBe(true);
  });

  it('reads back with GNU tar too', () => {
    const listing = execFileSync('tar', ['-tzvf', '-'], { input: ipk, encoding: 'utf8' });
    expect(listing).toContain('./control.tar.gz');
    expect(untar(gunzipSync(ipk)).length).toBe(3);
  });
});

describe('make ipk: luci-app-wanbond', () => {
  const luci = () => readFileSync(join(work, 'a', `luci-app-wanbond_${version}-1_all.ipk`));

  it('is an arch-all package depending on luci-base and wanbond', () => {
    const outer = untgz(luci());
    expect(outer.map((m) => m.name)).toEqual(['./debian-binary', './data.tar.gz', './control.tar.gz']);
    const control = untgz(member(outer, './control.tar.gz').data);
    const f = controlFields(member(control, './control').data.toString());
    expect(f.get('Package')).toBe('luci-app-wanbond');
    expect(f.get('Architecture')).toBe('all');
    expect(f.get('Depends')).toBe('libc, luci-base, wanbond');
    expect(f.get('Version')).toBe(`${version}-1`);
    const postinst = member(control, './postinst');
    expect(postinst.data.toString()).toContain('IPKG_INSTROOT');
    expect(postinst.mode & 0o777).toBe(0o755);
  });

  it('installs the views under /www and the menu and ACL under /usr/share', () => {
    const data = untgz(member(untgz(luci()), './data.tar.gz').data);
    const files = data.filter((e) => e.type === 'file').map((e) => e.name);
    expect(files).toContain('./www/luci-static/resources/view/wanbond/status.js');
    expect(files).toContain('./www/luci-static/resources/wanbond/api.js');
    expect(files).toContain('./usr/share/luci/menu.d/luci-app-wanbond.json');
    expect(files).toContain('./usr/share/rpcd/acl.d/luci-app-wanbond.json');
    for (const e of data.filter((x) => x.type === 'file')) expect(e.mode & 0o777).toBe(0o644);
  });
});
