// Paths and inputs shared by the packaging tests.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../../..');
export const version: string = (
  JSON.parse(readFileSync(join(root, 'src/wanbond/package.json'), 'utf8')) as { version: string }
).version;

/** `make build` output the packages are made from; the tests fail with this hint when it is missing. */
export function requireBuild(...files: string[]): void {
  for (const f of files) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run 'make build' before these tests`);
  }
}

/**
 * The default config file a package ships, or a stand-in written into `dir` while the config owner has not
 * written it yet (openwrt/wanbond/files/wanbond.config, debian/server.conf).
 */
export function configOrStandIn(relPath: string, dir: string, standIn: string): string {
  const real = join(root, relPath);
  if (existsSync(real)) return real;
  const path = join(dir, relPath.replace(/\//g, '_'));
  writeFileSync(path, standIn);
  return path;
}

export const ROUTER_CONFIG_STANDIN = `
config wanbond 'main'
	option enabled '0'
	option port '5555'
	option mode 'bond'
`;

export const SERVER_CONFIG_STANDIN = `
config server 'main'
	option port '5555'
	option address '10.255.0.1/24'
	option key_file '/etc/wanbond/server.key'
`;

/** What the router package installs, with modes: the ipk and the SDK Makefile must agree on it. */
export const ROUTER_PACKAGE_FILES: [string, string][] = [
  ['/etc/config/wanbond', '600'],
  ['/etc/init.d/wanbond', '755'],
  ['/etc/uci-defaults/90-wanbond', '755'],
  ['/etc/uci-defaults/91-wanbond-firewall', '755'],
  ['/lib/upgrade/keep.d/wanbond', '644'],
  ['/usr/bin/wanbond', '755'],
  ['/usr/lib/wanbond/tuntap2.node', '755'],
  ['/usr/lib/wanbond/wanbond.js', '644'],
];
