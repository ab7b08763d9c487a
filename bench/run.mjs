#!/usr/bin/env node
// `make bench`: bundles bench/src/main.ts (which uses the lab modules in src/wanbond/lab) with esbuild and runs it.
// Usage: node bench/run.mjs [--scenario S-static|all] [--duration S] [--accuracy] [--no-mptcp] [--prefix P]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'wanbond-bench-'));
const out = join(tmp, 'bench.cjs');
try {
  await build({
    entryPoints: [join(here, 'src/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    // The bundle lives in /tmp: tell the lab where the repository (emulator sources, dist/wanbond.js) is.
    define: { 'import.meta.url': JSON.stringify(`file://${join(here, '..', 'src', 'wanbond', 'lab', 'bench.js')}`) },
    logLevel: 'warning',
  });
  const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, WANBOND_BENCH_DIR: here },
  });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
