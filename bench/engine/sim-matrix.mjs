#!/usr/bin/env node
// Simulator matrix: every lab scenario (S-static, S-lossy, S-cellular, S-cut) rebuilt in test/sim on a virtual
// clock, one TCP-like flow up and down plus a latency probe, for a few seeds. Deterministic: the same code gives the
// same figures. Usage: node bench/engine/sim-matrix.mjs [--seeds 1,2,3] [--scenario S-static] [--out FILE]
// Prints the figures as JSON and writes them to bench/results/sim-matrix.json (or --out).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const seeds = opt('seeds', '1,2,3')
  .split(',')
  .map((s) => Number(s));
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--seeds: comma-separated non-negative integers');
const names = opt('scenario', 'S-static,S-lossy,S-cellular,S-cut').split(',');
const out = opt('out', join(root, 'bench/results/sim-matrix.json'));
// Virtual milliseconds per run; the tests use shorter runs (9-14 s) to stay within their CPU budget.
const durationMs = Number(opt('duration', '20000'));
if (!(durationMs >= 8000 && durationMs <= 120_000)) throw new Error('--duration: 8000..120000 virtual ms');

// --engine DIR: run the same scenarios against another copy of src/wanbond/engine (e.g. an older commit's, for
// before/after tables: `git show REV:src/wanbond/engine/F > DIR/F` for each file).
const engineDir = opt('engine', '');
const plugins = engineDir
  ? [
      {
        name: 'engine-dir',
        setup(b) {
          b.onResolve({ filter: /src\/wanbond\/engine\/[a-z-]+\.js$/ }, (a) => ({
            path: join(engineDir, a.path.split('/').pop().replace(/\.js$/, '.ts')),
          }));
        },
      },
    ]
  : [];
const dir = mkdtempSync(join(tmpdir(), 'wb-simmatrix-'));
const bundle = join(dir, 'scenarios.mjs');
await build({
  entryPoints: [join(root, 'test/sim/scenarios.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'warning',
  plugins,
});
const { runScenario } = await import(pathToFileURL(bundle).href);
rmSync(dir, { recursive: true, force: true });

const round = (v, d = 3) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(d)) : v);
const runs = [];
const summary = {};
for (const name of names) {
  for (const direction of ['up', 'down']) {
    const rows = [];
    for (const seed of seeds) {
      const t0 = process.cpuUsage();
      const r = runScenario(name, direction, seed, { durationMs });
      const cpu = process.cpuUsage(t0);
      const row = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
      row.cpuSeconds = round((cpu.user + cpu.system) / 1e6, 2);
      rows.push(row);
      runs.push(row);
      process.stderr.write(
        `${name} ${direction} seed ${seed}: ${(100 * r.efficiency).toFixed(1)}% (${r.goodputMbit.toFixed(1)} of ` +
          `${r.capacityMbit.toFixed(1)} Mbit/s), rtt p95 ${r.rttP95.toFixed(0)} ms, gap ${r.maxGapMs.toFixed(0)} ms` +
          `${r.recoverMs !== undefined ? `, recovered in ${r.recoverMs} ms` : ''}\n`,
      );
    }
    const min = (k) => round(Math.min(...rows.map((r) => r[k] ?? Number.POSITIVE_INFINITY)));
    const max = (k) => round(Math.max(...rows.map((r) => r[k] ?? Number.POSITIVE_INFINITY)));
    const mean = (k) => round(rows.reduce((a, r) => a + r[k], 0) / rows.length);
    summary[`${name} ${direction}`] = {
      efficiencyMean: mean('efficiency'),
      efficiencyMin: min('efficiency'),
      ofConfiguredMean: mean('ofConfigured'),
      rttP95Max: max('rttP95'),
      rttTarget: rows[0].slowestBaseRtt + 50,
      maxGapMs: max('maxGapMs'),
      ...(name === 'S-cut' ? { recoverMsMax: max('recoverMs') } : {}),
    };
  }
}
const result = {
  generatedBy: 'bench/engine/sim-matrix.mjs',
  node: process.version,
  seeds,
  durationMs,
  ...(engineDir ? { engine: engineDir } : {}),
  note:
    'efficiency = in-order goodput of one TCP-like flow / (configured capacity x 1400/1458, what single links carry ' +
    'through the tunnel); ofConfigured = goodput / configured capacity',
  summary,
  runs,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
