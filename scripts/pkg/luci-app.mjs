// luci-app-wanbond as an `all` ipk without the LuCI build system: luci.mk installs htdocs/ under /www and root/
// under /, and takes its metadata from the LUCI_* and PKG_* variables of the app's Makefile.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** @returns {import('./openwrt-makefile.mjs').PackageMeta} */
export function luciAppMeta(makefileText, name) {
  const vars = new Map();
  for (const line of makefileText.split('\n')) {
    const m = /^([A-Z_]+)\s*:?=\s*(.*?)\s*$/.exec(line);
    if (m) vars.set(m[1], m[2]);
  }
  const need = (key) => {
    const v = vars.get(key);
    if (!v) throw new Error(`${name}/Makefile: ${key} is not set`);
    return v;
  };
  return {
    name,
    version: need('PKG_VERSION'),
    release: need('PKG_RELEASE'),
    license: need('PKG_LICENSE'),
    maintainer: need('PKG_MAINTAINER'),
    section: 'luci',
    title: need('LUCI_TITLE'),
    // luci.mk adds libc for every package; +dep means select and depend.
    depends: [
      'libc',
      ...need('LUCI_DEPENDS')
        .split(/\s+/)
        .map((d) => d.replace(/^\+/, '')),
    ],
    description: [need('LUCI_TITLE'), need('LUCI_DESCRIPTION')],
    conffiles: [],
  };
}

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

/** @returns {import('./ipk.mjs').PackageFile[]} */
export function luciAppFiles(appDir) {
  const tree = (sub, prefix) =>
    walk(join(appDir, sub)).map((path) => ({
      path: `${prefix}/${relative(join(appDir, sub), path)}`,
      mode: 0o644,
      data: readFileSync(path),
    }));
  return [...tree('htdocs', '/www'), ...tree('root', '')];
}
