// `make ipk`: dist/wanbond_<version>-<release>_x86_64.ipk and luci-app-wanbond_<version>-<release>_all.ipk for OpenWrt (23.05/24.10 x86/64), built on this Debian
// machine without the SDK. The addon is compiled with musl-gcc so it loads under OpenWrt's musl Node.
//
//   node scripts/ipk.mjs [--out DIR] [--config FILE] [--bundle FILE] [--addon FILE]
//
// --config: the default /etc/config/wanbond (openwrt/wanbond/files/wanbond.config); --addon: a prebuilt musl
// tuntap2.node instead of `make -C src/tuntap2 CC=musl-gcc OUT=build/musl`. Output is reproducible: every mtime
// is SOURCE_DATE_EPOCH, or the time of the last git commit.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sourceDateEpoch } from './pkg/epoch.mjs';
import { buildIpk } from './pkg/ipk.mjs';
import { luciAppFiles, luciAppMeta } from './pkg/luci-app.mjs';
import { parsePackageMakefile } from './pkg/openwrt-makefile.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'openwrt/wanbond');

function fail(message) {
  process.stderr.write(`ipk: ${message}\n`);
  process.exit(1);
}

function readRequired(path, what) {
  if (!existsSync(path)) fail(`${what} not found: ${path}`);
  return readFileSync(path);
}

/** The musl addon, stripped like the SDK's RSTRIP does (drops debug info and the build path). */
function muslAddon(prebuilt) {
  let built = prebuilt;
  if (!built) {
    execFileSync('make', ['-C', join(root, 'src/tuntap2'), '--no-print-directory', 'CC=musl-gcc', 'OUT=build/musl'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    built = join(root, 'src/tuntap2/build/musl/tuntap2.node');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'wanbond-ipk-'));
  try {
    const out = join(tmp, 'tuntap2.node');
    execFileSync('strip', ['--strip-unneeded', '-o', out, built]);
    const bytes = readFileSync(out);
    // musl's soname is plain libc.so; glibc's libc.so.6 would not exist on the router.
    if (bytes.includes('libc.so.6\0')) fail(`${built} is linked against glibc, OpenWrt needs a musl build`);
    return bytes;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const USAGE = 'usage: node scripts/ipk.mjs [--out DIR] [--config FILE] [--bundle FILE] [--addon FILE]\n';
let values;
try {
  ({ values } = parseArgs({
    options: {
      out: { type: 'string', default: join(root, 'dist') },
      config: { type: 'string', default: join(pkgDir, 'files/wanbond.config') },
      bundle: { type: 'string', default: join(root, 'dist/wanbond.js') },
      addon: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const meta = parsePackageMakefile(readFileSync(join(pkgDir, 'Makefile'), 'utf8'));
const wsVersion = JSON.parse(readFileSync(join(root, 'src/wanbond/package.json'), 'utf8')).version;
if (wsVersion !== meta.version) {
  fail(`openwrt/wanbond/Makefile PKG_VERSION ${meta.version} differs from src/wanbond/package.json ${wsVersion}`);
}

const files = [
  { path: '/usr/lib/wanbond/wanbond.js', mode: 0o644, data: readRequired(values.bundle, "bundle (run 'make build')") },
  { path: '/usr/lib/wanbond/tuntap2.node', mode: 0o755, data: muslAddon(values.addon && resolve(values.addon)) },
  { path: '/usr/bin/wanbond', mode: 0o755, data: readRequired(join(pkgDir, 'files/wanbond.sh'), 'wrapper') },
  { path: '/etc/init.d/wanbond', mode: 0o755, data: readRequired(join(pkgDir, 'files/wanbond.init'), 'init script') },
  { path: '/etc/config/wanbond', mode: 0o600, data: readRequired(values.config, 'default config') },
  {
    path: '/etc/uci-defaults/90-wanbond',
    mode: 0o755,
    data: readRequired(join(pkgDir, 'files/wanbond.uci-defaults'), 'uci-defaults script'),
  },
  {
    path: '/etc/uci-defaults/91-wanbond-firewall',
    mode: 0o755,
    data: readRequired(join(pkgDir, 'files/wanbond-firewall.uci-defaults'), 'firewall uci-defaults script'),
  },
  {
    path: '/lib/upgrade/keep.d/wanbond',
    mode: 0o644,
    data: readRequired(join(pkgDir, 'files/wanbond.keep'), 'sysupgrade keep list'),
  },
];
const scripts = {
  postinst: readFileSync(join(root, 'openwrt/ipk/postinst'), 'utf8'),
  prerm: readFileSync(join(root, 'openwrt/ipk/prerm'), 'utf8'),
};

const mtime = sourceDateEpoch(root);
const luciDir = join(root, 'luci-app-wanbond');
const luciMeta = luciAppMeta(readFileSync(join(luciDir, 'Makefile'), 'utf8'), 'luci-app-wanbond');
if (luciMeta.version !== meta.version) {
  fail(`luci-app-wanbond/Makefile PKG_VERSION ${luciMeta.version} differs from ${meta.version}`);
}
const packages = [
  buildIpk({ meta, arch: 'x86_64', files, scripts, mtime }),
  buildIpk({
    meta: luciMeta,
    arch: 'all',
    files: luciAppFiles(luciDir),
    scripts: { postinst: readFileSync(join(root, 'openwrt/luci-ipk/postinst'), 'utf8') },
    mtime,
  }),
];
mkdirSync(values.out, { recursive: true });
for (const { fileName, ipk } of packages) {
  writeFileSync(join(values.out, fileName), ipk);
  process.stdout.write(`${join(values.out, fileName)} ${(ipk.length / 1024).toFixed(1)} KiB\n`);
}
// Debian has no musl cross compiler (only musl-tools for the host), so aarch64 needs the OpenWrt SDK.
process.stdout.write(
  'ipk: aarch64/arm: build with the OpenWrt SDK (openwrt/wanbond/Makefile), see docs/packaging.md\n',
);
