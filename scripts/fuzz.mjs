#!/usr/bin/env node
// `make fuzz`: the fuzz properties of test/fuzz (the same ones `make test` runs briefly) with many more runs and a
// seed, then a report of what failed. A failure prints fast-check's counterexample and the command that replays it.
//
//   node scripts/fuzz.mjs [--scale N] [--seed N] [--rounds N] [FILTER...]
//     --scale   multiplies every property's CI run count (default 50)
//     --seed    first seed (default: random); round i uses seed + i
//     --rounds  how many seeds to try (default 1)
//     FILTER    test file name filters passed to vitest (default: all of test/fuzz)
// Writes bench/results/fuzz.json ({ seed, scale, rounds, files, failures: [{ file, test, message }] }).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const take = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return Number(v);
};
const scale = take('--scale', 50);
const seed0 = take('--seed', Math.floor(Math.random() * 2 ** 31));
const rounds = take('--rounds', 1);
const filters = args.length > 0 ? args : ['test/fuzz'];
const tmp = mkdtempSync(join(tmpdir(), 'wbfuzz-'));
const failures = [];
const files = new Set();
const started = Date.now();

try {
  for (let round = 0; round < rounds; round++) {
    const seed = seed0 + round;
    const out = join(tmp, `round-${round}.json`);
    process.stderr.write(`fuzz: round ${round + 1}/${rounds}, seed ${seed}, scale ${scale}\n`);
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...filters, '--reporter=json', `--outputFile=${out}`],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, FUZZ_SCALE: String(scale), FUZZ_SEED: String(seed) },
      },
    );
    let report;
    try {
      report = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      failures.push({ seed, file: '(vitest)', test: '(run)', message: `vitest exited ${r.status} without a report` });
      continue;
    }
    for (const f of report.testResults) {
      files.add(f.name.replace(`${ROOT}/`, ''));
      if (f.status === 'failed' && f.assertionResults.length === 0)
        failures.push({ seed, file: f.name.replace(`${ROOT}/`, ''), test: '(file)', message: f.message });
      for (const a of f.assertionResults) {
        if (a.status !== 'failed') continue;
        failures.push({
          seed,
          file: f.name.replace(`${ROOT}/`, ''),
          test: a.title,
          message: a.failureMessages.join('\n').slice(0, 4000),
          replay: `FUZZ_SEED=${seed} FUZZ_SCALE=${scale} npx vitest run ${f.name.replace(`${ROOT}/`, '')} -t '${a.title}'`,
        });
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const result = {
  date: new Date().toISOString(),
  seed: seed0,
  scale,
  rounds,
  seconds: Math.round((Date.now() - started) / 1000),
  files: [...files].sort(),
  failures,
};
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'fuzz.json'), `${JSON.stringify(result, null, 2)}\n`);
for (const f of failures)
  process.stdout.write(`FINDING ${f.file} > ${f.test} (seed ${f.seed})\n${f.message}\nreplay: ${f.replay ?? '-'}\n\n`);
process.stdout.write(
  `fuzz: ${files.size} files, ${rounds} round(s) from seed ${seed0} at scale ${scale}: ${failures.length} finding(s) in ${result.seconds} s\n`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
