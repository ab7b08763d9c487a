/**
 * The bench matrix (docs/lab.md): per scenario, every link alone (1 TCP flow, up and down), the bonded tunnel
 * (1 and 4 flows, up and down) when the daemons exist, and Linux MPTCP as the reference; efficiency against the
 * sum of the singles measured in the same run; RTT under load; for S-cut the longest delivery gap; daemon CPU.
 * Writes bench/results/<date>-<scenario>.json and .svg.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Chart, chartSvg } from '../../src/wanbond/lab/chart.js';
import { Daemons, daemonsImplemented, snapshotBundle } from '../../src/wanbond/lab/daemons.js';
import { longestGap } from '../../src/wanbond/lab/iperf.js';
import { Lab, labDown } from '../../src/wanbond/lab/lab.js';
import {
  type Measurement,
  measureBonded,
  measureLink,
  measureMptcp,
  type RunOptions,
} from '../../src/wanbond/lab/measure.js';
import { mptcpAvailable, setupMptcp } from '../../src/wanbond/lab/mptcp.js';
import { isRoot } from '../../src/wanbond/lab/netns.js';
import { chartPng } from '../../src/wanbond/lab/raster.js';
import { f1, table } from '../../src/wanbond/lab/report.js';
import { loadScenario, type Scenario } from '../../src/wanbond/lab/scenario.js';
import { runAccuracy } from './accuracy.js';

const SCENARIOS = ['S-static', 'S-lossy', 'S-cellular', 'S-cut', 'S-fat'];

interface Args {
  scenarios: string[];
  duration?: number;
  accuracy: boolean;
  mptcp: boolean;
  prefix: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scenarios: SCENARIOS, accuracy: false, mptcp: true, prefix: 'wbbench' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--scenario':
        if (!v) throw new Error('--scenario needs a name');
        a.scenarios = v === 'all' ? SCENARIOS : v.split(',');
        i++;
        break;
      case '--duration':
        a.duration = Number(v);
        if (!(a.duration >= 3 && a.duration <= 600)) throw new Error('--duration wants 3-600 seconds');
        i++;
        break;
      case '--prefix':
        a.prefix = v ?? a.prefix;
        i++;
        break;
      case '--accuracy':
        a.accuracy = true;
        a.scenarios = [];
        break;
      case '--no-mptcp':
        a.mptcp = false;
        break;
      default:
        throw new Error(
          `unknown option ${argv[i]}\nusage: node bench/run.mjs [--scenario NAME[,NAME]|all] [--duration S] [--accuracy] [--no-mptcp]`,
        );
    }
  }
  return a;
}

const log = (t: string) => process.stderr.write(t);

interface RunSummary {
  label: string;
  direction: 'up' | 'down';
  flows: number;
  ok: boolean;
  error?: string;
  mbit: number;
  rttP50?: number;
  rttP95?: number;
  retransmits?: number;
  cutGapS?: number;
  survived?: boolean;
  cpuS?: { router?: number; server?: number };
  /** A daemon that is gone after this run, and how it ended. */
  daemonDeaths?: string[];
}

function summarize(m: Measurement, cut?: { atS: number; intervalS: number }): RunSummary {
  const s: RunSummary = { label: m.label, direction: m.direction, flows: m.flows, ok: m.iperf.ok, mbit: m.iperf.mbit };
  if (m.iperf.error) s.error = m.iperf.error;
  if (m.loadedRtt.p50 !== undefined) s.rttP50 = m.loadedRtt.p50;
  if (m.loadedRtt.p95 !== undefined) s.rttP95 = m.loadedRtt.p95;
  if (m.iperf.retransmits !== undefined) s.retransmits = m.iperf.retransmits;
  if (cut) {
    s.cutGapS = longestGap(m.iperf.intervals, cut.atS, cut.intervalS);
    const tail = m.iperf.intervals.slice(-Math.round(2 / cut.intervalS));
    s.survived = m.iperf.ok && tail.some((p) => p.mbit > 0.05);
  }
  return s;
}

/** S-cut's 0.1 s intervals are for the gap; receive bursts make them unreadable in a plot, so it shows 0.5 s means. */
function halfSecondBins(points: { t: number; mbit: number }[]): { t: number; v: number }[] {
  const bins = new Map<number, { sum: number; n: number }>();
  for (const p of points) {
    const k = Math.ceil(p.t / 0.5 - 1e-6) * 0.5;
    const b = bins.get(k) ?? { sum: 0, n: 0 };
    b.sum += p.mbit;
    b.n++;
    bins.set(k, b);
  }
  return [...bins.entries()].map(([t, b]) => ({ t, v: b.sum / b.n }));
}

async function runScenario(sc: Scenario, a: Args, resultsDir: string, script: string): Promise<void> {
  const seconds = a.duration ?? sc.durationS;
  const cutAtS = sc.cutAtS !== undefined ? Math.min(sc.cutAtS, seconds / 3) : undefined;
  log(`\n== ${sc.name}: ${sc.links.length} links, ${seconds} s per transfer\n`);
  labDown(a.prefix);
  const lab = await Lab.up(sc, { prefix: a.prefix });
  const runs: Measurement[] = [];
  const summaries: RunSummary[] = [];
  const cpuTotals: { router: number; server: number } = { router: 0, server: 0 };
  let daemons: Daemons | undefined;
  let snapshot: ReturnType<typeof snapshotBundle> | undefined;
  const one = async (what: string, f: () => Promise<Measurement>, cut = false): Promise<RunSummary> => {
    log(`   ${what.padEnd(28)} `);
    const before = daemons?.cpu();
    const m = await f();
    runs.push(m);
    const s = summarize(m, cut && cutAtS !== undefined ? { atS: cutAtS, intervalS: 0.1 } : undefined);
    if (daemons && before) {
      const after = daemons.cpu();
      s.cpuS = {};
      if (after.router !== undefined && before.router !== undefined) s.cpuS.router = after.router - before.router;
      if (after.server !== undefined && before.server !== undefined) s.cpuS.server = after.server - before.server;
      cpuTotals.router += s.cpuS.router ?? 0;
      cpuTotals.server += s.cpuS.server ?? 0;
      const deaths = daemons.deaths();
      if (deaths.length) s.daemonDeaths = deaths;
    }
    summaries.push(s);
    const extra = s.cutGapS !== undefined ? `, gap ${s.cutGapS.toFixed(1)} s, ${s.survived ? 'survived' : 'DIED'}` : '';
    const dead = s.daemonDeaths ? ` [${s.daemonDeaths.join(', ')}]` : '';
    log(
      `${s.ok ? `${f1(s.mbit)} Mbit/s` : `failed (${s.error})`}, RTT p50 ${f1(s.rttP50)} p95 ${f1(s.rttP95)} ms${extra}${dead}\n`,
    );
    return s;
  };
  // Cutting happens inside the transfer; the link comes back before the next one.
  let cutTimer: NodeJS.Timeout | undefined;
  const withCut = (o: RunOptions): RunOptions =>
    cutAtS !== undefined && sc.cutLink
      ? {
          ...o,
          intervalS: 0.1,
          onStart: () => {
            cutTimer = setTimeout(() => void lab.command(sc.cutLink!, 'cut').catch(() => {}), cutAtS * 1000);
          },
        }
      : o;
  // A transfer that ended early must not leave its cut pending for the next one.
  const restore = async () => {
    clearTimeout(cutTimer);
    if (sc.cutLink) await lab.command(sc.cutLink, 'restore');
  };
  let bondedNote: string | undefined;
  let mptcpNote: string | undefined;
  try {
    for (const l of lab.info.links) {
      for (const direction of ['up', 'down'] as const) {
        await one(`${l.name} alone ${direction}`, () => measureLink(lab, l.name, { seconds, direction }));
      }
    }
    if (await daemonsImplemented(script)) {
      // Configs (with throw-away keys) and daemon logs stay out of the repository.
      const dir = join(tmpdir(), 'wanbond-bench', sc.name);
      mkdirSync(dir, { recursive: true });
      try {
        snapshot = snapshotBundle(script);
        daemons = await Daemons.start(lab.info, snapshot.script, dir);
        for (const flows of [1, 4]) {
          for (const direction of ['up', 'down'] as const) {
            await one(
              `bonded ${flows} flow${flows > 1 ? 's' : ''} ${direction}`,
              () => measureBonded(lab, withCut({ seconds, direction, flows })),
              true,
            );
            await restore();
          }
        }
      } catch (err) {
        bondedNote = `bonded runs failed: ${(err as Error).message}`;
        log(`   ${bondedNote}\n`);
      } finally {
        await daemons?.stop();
        daemons = undefined;
        snapshot?.dispose();
      }
    } else {
      bondedNote = 'the wanbond daemons are not implemented yet: bonded runs skipped';
      log(`   ${bondedNote}\n`);
    }
    if (a.mptcp && mptcpAvailable()) {
      await setupMptcp(lab);
      for (const direction of ['up', 'down'] as const) {
        await one(`mptcp 1 flow ${direction}`, () => measureMptcp(lab, withCut({ seconds, direction })), true);
        await restore();
      }
    } else mptcpNote = a.mptcp ? 'mptcpize not found (Debian package mptcpd)' : 'skipped (--no-mptcp)';
  } finally {
    await lab.down();
  }
  const sums = { up: 0, down: 0 };
  for (const s of summaries) if (lab.info.links.some((l) => l.name === s.label)) sums[s.direction] += s.mbit;
  const efficiency = (s: RunSummary) =>
    lab.info.links.some((l) => l.name === s.label) ? undefined : (100 * s.mbit) / (sums[s.direction] || 1);
  const rows = summaries.map((s) => [
    `${s.label}${s.flows > 1 ? ` x${s.flows}` : ''} ${s.direction}`,
    s.ok ? f1(s.mbit) : 'fail',
    f1(efficiency(s)),
    f1(s.rttP50),
    f1(s.rttP95),
    s.cutGapS !== undefined ? `${s.cutGapS.toFixed(1)}${s.survived ? '' : ' died'}` : '',
    s.cpuS ? `${f1(s.cpuS.router)}/${f1(s.cpuS.server)}` : '',
  ]);
  rows.push(
    ['sum of links up', f1(sums.up), '100', '', '', '', ''],
    ['sum of links down', f1(sums.down), '100', '', '', '', ''],
  );
  log(`\n${table(['run', 'Mbit/s', '% of sum', 'RTT p50', 'RTT p95', 'cut gap s', 'CPU s rt/srv'], rows)}\n`);
  if (bondedNote) log(`note: ${bondedNote}\n`);
  if (mptcpNote) log(`note: MPTCP ${mptcpNote}\n`);

  const stamp = new Date().toISOString().slice(0, 10);
  const base = join(resultsDir, `${stamp}-${sc.name}`);
  const json = {
    scenario: sc.name,
    date: new Date().toISOString(),
    secondsPerTransfer: seconds,
    tcpCongestionControl: lab.info.congestion,
    links: sc.links,
    sumOfLinksMbit: sums,
    runs: summaries.map((s) => ({ ...s, efficiencyPct: efficiency(s) })),
    daemonCpuSeconds: cpuTotals,
    notes: [bondedNote, mptcpNote].filter(Boolean),
    series: runs.map((m) => ({ label: m.label, direction: m.direction, flows: m.flows, intervals: m.iperf.intervals })),
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  const pick = runs.filter((m) => m.direction === 'up' && m.flows === 1);
  const chart: Chart = {
    title: `${sc.name}: upload, one TCP flow`,
    xLabel: 'seconds',
    yLabel: 'Mbit/s',
    series: pick.map((m) => ({
      name: m.label,
      points: halfSecondBins(m.iperf.intervals),
      dashed: lab.info.links.some((l) => l.name === m.label),
    })),
    ...(cutAtS !== undefined ? { markers: [{ t: cutAtS, label: `${sc.cutLink} cut` }] } : {}),
  };
  writeFileSync(`${base}.svg`, chartSvg(chart));
  writeFileSync(`${base}.png`, chartPng(chart));
  log(`wrote ${base}.json, .svg and .png\n`);
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (!isRoot()) {
    log('bench: needs root (network namespaces)\n');
    return 1;
  }
  const benchDir = process.env.WANBOND_BENCH_DIR ?? join(process.cwd(), 'bench');
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const script = join(benchDir, '..', 'dist', 'wanbond.js');
  if (a.accuracy) {
    await runAccuracy(resultsDir, a.prefix, log);
    return 0;
  }
  for (const name of a.scenarios) {
    if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario '${name}' (${SCENARIOS.join(', ')})`);
    await runScenario(loadScenario(join(benchDir, 'scenarios', `${name}.ini`)), a, resultsDir, script);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
