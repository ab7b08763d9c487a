// `make test`: every vitest suite with v8 coverage, then the coverage per package and one closing line
// "N passed, N failed, N skipped" that any CI can read. Exit code is vitest's.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'coverage/vitest-results.json');
rmSync(results, { force: true });

const vitest = spawnSync(
  join(root, 'node_modules/.bin/vitest'),
  [
    'run',
    '--coverage',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
);

const summaryFile = join(root, 'coverage/coverage-summary.json');
if (existsSync(summaryFile)) {
  // Lines covered per workspace package (src/<pkg>), and per area inside wanbond, where the engine matters most.
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  const groups = new Map();
  for (const [file, figures] of Object.entries(summary)) {
    if (file === 'total') continue;
    const parts = relative(root, file).split('/');
    const key = parts[1] === 'wanbond' && parts.length > 3 ? `wanbond/${parts[2]}` : parts[1];
    const g = groups.get(key) ?? { covered: 0, total: 0 };
    g.covered += figures.lines.covered;
    g.total += figures.lines.total;
    groups.set(key, g);
  }
  process.stdout.write('\ncoverage (lines) per package:\n');
  for (const [key, g] of [...groups].sort()) {
    const pct = g.total ? ((100 * g.covered) / g.total).toFixed(1) : '-';
    process.stdout.write(`  ${key.padEnd(20)} ${pct.padStart(5)}%  (${g.covered}/${g.total})\n`);
  }
}

if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  process.stdout.write(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped\n`);
}
process.exit(vitest.status ?? 1);
