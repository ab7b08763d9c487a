import type { Parameters } from 'fast-check';

/**
 * How hard the fuzz properties push. `make test` runs them small (each file a few seconds); `make fuzz`
 * (scripts/fuzz.mjs) runs the same properties with FUZZ_RUNS raised and a FUZZ_SEED it prints, so any finding
 * replays with `FUZZ_SEED=<seed> FUZZ_RUNS=<runs> npx vitest run test/fuzz`.
 */
export const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;

/** fast-check parameters for a property whose CI budget is `runs`. */
export function budget<T>(runs: number): Parameters<T> {
  return { numRuns: Math.round(runs * SCALE), ...(SEED !== undefined ? { seed: SEED } : {}) };
}

/** A timeout that grows with the budget, so long runs are not cut by vitest's per-test timer. */
export function timeoutFor(ciMs: number): number {
  return Math.round(ciMs * SCALE) + 5_000;
}
