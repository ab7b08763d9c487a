// Builds the one-file bundle dist/wanbond.js and the tuntap2 addon next to it.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// CommonJS so the file runs as a plain `.js` anywhere (/usr/lib/wanbond has no package.json);
// dist/package.json keeps the workspace's "type": "module" from claiming it.
await build({
  entryPoints: [join(root, 'src/wanbond/cli/bin.ts')],
  outfile: join(dist, 'wanbond.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // OpenWrt 23.05 ships Node 18, 24.10 Node 20, Debian 12 Node 18: the oldest wins.
  target: 'node18',
  banner: { js: '#!/usr/bin/env node\nconst __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__importMetaUrl' },
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

/**
 * Copy then rename: a running daemon has the addon mapped and a running lab keeps its emulator busy; writing over
 * either in place would crash the one (SIGBUS) or fail for the other.
 */
function installFresh(from, to) {
  copyFileSync(from, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
}

if (!process.argv.includes('--no-addon')) {
  const addonDir = join(root, 'src/tuntap2');
  if (existsSync(join(addonDir, 'Makefile'))) {
    execFileSync('make', ['-C', addonDir, '--no-print-directory'], { stdio: 'inherit' });
    installFresh(join(addonDir, 'build/tuntap2.node'), join(dist, 'tuntap2.node'));
  }
}
// The lab's link emulator (C, see docs/lab.md) ships next to the bundle.
const emuDir = join(root, 'src/wanbond/lab/emu');
if (existsSync(join(emuDir, 'Makefile'))) {
  execFileSync('make', ['-C', emuDir, '--no-print-directory'], { stdio: 'inherit' });
  installFresh(join(emuDir, 'build/wanbond-linkemu'), join(dist, 'wanbond-linkemu'));
}
const size = statSync(join(dist, 'wanbond.js')).size;
console.log(`dist/wanbond.js ${(size / 1024).toFixed(1)} KiB`);
