// One timestamp for every file of a package, so two builds of the same commit give the same bytes.

import { execFileSync } from 'node:child_process';

/**
 * SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the last commit's time, else 0.
 * @param {string} repoRoot
 * @returns {number}
 */
export function sourceDateEpoch(repoRoot) {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  try {
    const out = execFileSync('git', ['-C', repoRoot, 'log', '-1', '--format=%ct'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (/^\d+\s*$/.test(out)) return Number(out.trim());
  } catch {
    // not a git checkout (a source tarball): fall through
  }
  return 0;
}
