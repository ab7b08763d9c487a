import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTER_CONFIG_STANDIN, ROUTER_PACKAGE_FILES, requireBuild, root } from './fixtures.js';

// openwrt/wanbond/Makefile's own recipes (Build/Prepare, Build/Compile, Package/wanbond/install) run by GNU make
// with fixtures/sdk standing in for the SDK's rules.mk and package.mk, musl-gcc standing in for $(TARGET_CC) and
// this machine's Node headers standing in for the staged node package's.

const work = mkdtempSync(join(tmpdir(), 'wanbond-sdk-'));
const sdk = join(__dirname, 'fixtures/sdk');
const pkg = join(work, 'openwrt/wanbond');
const destdir = join(work, 'root');

function make(targets: string[], extra: string[] = []) {
  return spawnSync(
    'make',
    [
      '-C',
      pkg,
      '--no-print-directory',
      `TOPDIR=${sdk}`,
      `INCLUDE_DIR=${sdk}`,
      `BUILD_DIR=${join(work, 'build')}`,
      `STAGING_DIR=${join(work, 'staging')}`,
      `STAGING_DIR_HOSTPKG=${join(work, 'host')}`,
      'TARGET_CC=musl-gcc',
      `WANBOND_SRC=${root}`,
      `DESTDIR=${destdir}`,
      ...extra,
      ...targets,
    ],
    { encoding: 'utf8' },
  );
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

beforeAll(() => {
  requireBuild('dist/wanbond.js');
  cpSync(join(root, 'openwrt/wanbond'), pkg, { recursive: true });
  const config = join(pkg, 'files/wanbond.config');
  if (!existsSync(config)) writeFileSync(config, ROUTER_CONFIG_STANDIN);
  mkdirSync(join(work, 'staging/usr/include'), { recursive: true });
  symlinkSync('/usr/include/node', join(work, 'staging/usr/include/node'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('openwrt/wanbond/Makefile recipes (stand-in SDK)', () => {
  it('compiles the addon with the target compiler and installs what the ipk ships, with the same modes', () => {
    const r = make(['install']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = walk(destdir)
      .map((f) => [`/${relative(destdir, f)}`, (statSync(f).mode & 0o777).toString(8)])
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    expect(files).toEqual(ROUTER_PACKAGE_FILES);
    const needed = execFileSync('readelf', ['-d', join(destdir, 'usr/lib/wanbond/tuntap2.node')], {
      encoding: 'utf8',
    });
    expect([...needed.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1])).toEqual(['libc.so']);
  });

  it('declares the feed’s section and the dependencies the daemon needs at run time', () => {
    const r = make(['meta']);
    expect(r.status).toBe(0);
    const meta = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    expect(meta.get('SECTION')).toBe('net');
    expect(meta.get('CATEGORY')).toBe('Network');
    const deps = meta.get('DEPENDS')!.split(/\s+/);
    for (const d of ['+node', '+kmod-tun', '+ip-full', '+kmod-nft-core', '+kmod-nft-nat', '+nftables-json']) {
      expect(deps).toContain(d);
    }
  });

  it('stops with a clear message when the bundle was not built', () => {
    const r = make(['prepare'], [`WANBOND_SRC=${join(work, 'nowhere')}`]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("dist/wanbond.js is missing: run 'make build'");
  });
});
