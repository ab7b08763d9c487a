/**
 * Synthetic cellular traces in the Mahimahi format. A Markov chain over capacity levels (0.15x..2x of the carrier's
 * mean: a 13x swing, crossed in a few seconds) moves every 100 ms, with log-normal noise on top, and outages of
 * 0.2-2 s start at random. The series is then scaled so the trace's mean equals the carrier's mean. Deterministic:
 * the same options give the same trace.
 */
import { gaussian, seededRandom } from './rng.js';

export interface CarrierProfile {
  downMbit: number;
  upMbit: number;
  /** Expected outages per minute. */
  outagesPerMin: number;
}

/** Three made-up carriers with different means, like three SIMs from different operators. */
export const CARRIERS: Record<string, CarrierProfile> = {
  A: { downMbit: 24, upMbit: 12, outagesPerMin: 2 },
  B: { downMbit: 14, upMbit: 7, outagesPerMin: 3 },
  C: { downMbit: 8, upMbit: 4, outagesPerMin: 4 },
};

const LEVELS = [0.15, 0.3, 0.6, 1.0, 1.5, 2.0];
const STEP_MS = 100;
const OPPORTUNITY_BITS = 1500 * 8;

export interface TraceOptions {
  carrier: string;
  direction: 'up' | 'down';
  seed: number;
  durationS: number;
}

export interface GeneratedTrace {
  /** Opportunity times in ms, non-decreasing; the last one is the period. */
  ms: number[];
  /** Capacity per 100 ms step in Mbit/s, for plots and checks. */
  stepMbit: number[];
}

export function generateTrace(opts: TraceOptions): GeneratedTrace {
  const profile = CARRIERS[opts.carrier];
  if (!profile) throw new Error(`unknown carrier '${opts.carrier}' (${Object.keys(CARRIERS).join(', ')})`);
  if (!(opts.durationS >= 1 && opts.durationS <= 3600)) throw new Error('trace duration must be 1-3600 s');
  const mean = opts.direction === 'up' ? profile.upMbit : profile.downMbit;
  const rand = seededRandom(opts.seed * 2 + (opts.direction === 'up' ? 1 : 0));
  const steps = Math.round((opts.durationS * 1000) / STEP_MS);
  const outageChance = profile.outagesPerMin / (60_000 / STEP_MS);
  const raw: number[] = [];
  let level = 3;
  let outage = 0;
  for (let i = 0; i < steps; i++) {
    if (outage > 0) {
      outage--;
      raw.push(0);
      continue;
    }
    if (i > 0 && rand() < outageChance) {
      outage = Math.round((200 + rand() * 1800) / STEP_MS) - 1;
      raw.push(0);
      continue;
    }
    const u = rand();
    if (u < 0.1) level = Math.max(0, level - 1);
    else if (u < 0.2) level = Math.min(LEVELS.length - 1, level + 1);
    else if (u < 0.23) level = Math.max(0, level - 2);
    else if (u < 0.26) level = Math.min(LEVELS.length - 1, level + 2);
    raw.push(LEVELS[level]! * Math.exp(0.15 * gaussian(rand)));
  }
  const avg = raw.reduce((a, b) => a + b, 0) / raw.length;
  const stepMbit = raw.map((r) => (avg > 0 ? (r * mean) / avg : mean));
  return { ms: opportunities(stepMbit, STEP_MS), stepMbit };
}

/** A constant-rate trace: the fixed-rate scenarios expressed in the same format. */
export function fixedRateTrace(mbit: number, durationS: number): number[] {
  const steps = Math.round((durationS * 1000) / STEP_MS);
  return opportunities(new Array<number>(steps).fill(mbit), STEP_MS);
}

function opportunities(stepMbit: number[], stepMs: number): number[] {
  const out: number[] = [];
  let credit = 0;
  const total = stepMbit.length * stepMs;
  for (let t = 0; t < total; t++) {
    credit += ((stepMbit[Math.floor(t / stepMs)] ?? 0) * 1e6) / 1000 / OPPORTUNITY_BITS;
    while (credit >= 1) {
      out.push(t);
      credit -= 1;
    }
  }
  // The last line is the period: the trace then loops without a gap or an overlap.
  out.push(total);
  return out;
}

export function traceText(ms: number[]): string {
  return `${ms.join('\n')}\n`;
}

export interface TraceSummary {
  periodMs: number;
  meanMbit: number;
  /** Capacity per whole second. */
  perSecondMbit: number[];
  /** Gaps of at least 200 ms without an opportunity. */
  outages: number;
  longestGapMs: number;
}

export function parseTrace(text: string, file = '<trace>'): number[] {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\d+$/.test(line)) throw new Error(`${file}:${i + 1}: expected a non-negative integer (milliseconds)`);
    const v = Number(line);
    if (out.length && v < out[out.length - 1]!) throw new Error(`${file}:${i + 1}: timestamps must not decrease`);
    out.push(v);
  }
  if (out.length === 0 || out[out.length - 1] === 0) throw new Error(`${file}: empty trace or last timestamp 0`);
  return out;
}

export function summarizeTrace(ms: number[]): TraceSummary {
  const periodMs = ms[ms.length - 1]!;
  const perSecond = new Array<number>(Math.ceil(periodMs / 1000)).fill(0);
  for (const t of ms) {
    const s = Math.min(perSecond.length - 1, Math.floor(t / 1000));
    perSecond[s]! += OPPORTUNITY_BITS / 1e6;
  }
  let outages = 0;
  let longestGapMs = 0;
  for (let i = 1; i < ms.length; i++) {
    const gap = ms[i]! - ms[i - 1]!;
    if (gap >= 200) outages++;
    longestGapMs = Math.max(longestGapMs, gap);
  }
  return {
    periodMs,
    meanMbit: (ms.length * OPPORTUNITY_BITS) / 1e6 / (periodMs / 1000),
    perSecondMbit: perSecond,
    outages,
    longestGapMs,
  };
}
