// Reads the package metadata out of openwrt/wanbond/Makefile, so the ipk built without the SDK carries the same
// name, version, dependencies and description as the one the SDK builds: the Makefile is the one source.

/**
 * @typedef {{
 *   name: string, version: string, release: string, license: string, maintainer: string,
 *   section: string, title: string, depends: string[], description: string[], conffiles: string[]
 * }} PackageMeta
 */

function assignments(lines) {
  const vars = new Map();
  for (const line of lines) {
    const m = /^\s*([A-Z_]+)\s*:?=\s*(.*?)\s*$/.exec(line);
    if (m) vars.set(m[1], m[2]);
  }
  return vars;
}

function block(text, name) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `define ${name}`);
  if (start === -1) return null;
  const end = lines.findIndex((l, i) => i > start && l.trim() === 'endef');
  if (end === -1) throw new Error(`openwrt Makefile: 'define ${name}' has no endef`);
  return lines.slice(start + 1, end);
}

/**
 * @param {string} text the Makefile
 * @returns {PackageMeta}
 */
export function parsePackageMakefile(text) {
  // Make's line continuations first, so a DEPENDS split over lines reads as one.
  const joined = text.replace(/\\\n\s*/g, ' ');
  const top = assignments(joined.split('\n').filter((l) => !l.startsWith('\t')));
  const need = (key) => {
    const v = top.get(key);
    if (!v) throw new Error(`openwrt Makefile: ${key} is not set`);
    return v;
  };
  const name = need('PKG_NAME');
  const pkgBlock = block(joined, `Package/${name}`);
  if (!pkgBlock) throw new Error(`openwrt Makefile: no 'define Package/${name}'`);
  const pkg = assignments(pkgBlock);
  const description = block(text, `Package/${name}/description`) ?? [];
  const conffiles = (block(text, `Package/${name}/conffiles`) ?? []).map((l) => l.trim()).filter(Boolean);
  const depends = (pkg.get('DEPENDS') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((d) => {
      // `+pkg` selects and depends; `@SYMBOL` and `PKG:dep` conditions have no opkg equivalent here.
      if (!/^\+[a-z0-9][a-z0-9._+-]*$/.test(d)) throw new Error(`openwrt Makefile: unsupported dependency '${d}'`);
      return d.slice(1);
    });
  return {
    name,
    version: need('PKG_VERSION'),
    release: need('PKG_RELEASE'),
    license: need('PKG_LICENSE'),
    maintainer: need('PKG_MAINTAINER'),
    section: pkg.get('SECTION') ?? 'net',
    title: pkg.get('TITLE') ?? name,
    depends,
    description: description.map((l) => l.trim()).filter(Boolean),
    conffiles,
  };
}

/**
 * The control file as OpenWrt's package-pack.mk writes it (field order included), for a hand-built ipk.
 * @param {PackageMeta} meta
 * @param {{ arch: string, installedSize: number, sourceDateEpoch: number }} opts
 * @returns {string}
 */
export function controlFile(meta, opts) {
  // The SDK adds libc to every package that is not arch `all`.
  const depends = opts.arch === 'all' ? meta.depends : ['libc', ...meta.depends];
  const lines = [
    `Package: ${meta.name}`,
    `Version: ${meta.version}-${meta.release}`,
    ...(depends.length ? [`Depends: ${depends.join(', ')}`] : []),
    `Source: feeds/wanbond/${meta.name}`,
    `SourceName: ${meta.name}`,
    `License: ${meta.license}`,
    `Section: ${meta.section}`,
    `SourceDateEpoch: ${opts.sourceDateEpoch}`,
    `Maintainer: ${meta.maintainer}`,
    `Architecture: ${opts.arch}`,
    `Installed-Size: ${opts.installedSize}`,
    // package-pack.mk: `sed -e 's,^[[:space:]]*, ,g'` on each description line, after "Description: ".
    `Description: ${meta.description.map((l) => ` ${l}`).join('\n')}`,
  ];
  return `${lines.join('\n')}\n`;
}
