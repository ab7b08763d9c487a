/**
 * `wanbond lab demo` (`make lab`): three cellular-like links; each measured alone (one TCP flow, upload), then
 * the real daemons' bonded tunnel over all three; a table and SVG/PNG plots of throughput over time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TUNNEL_SERVER } from './addressing.js';
import { type Chart, chartSvg } from './chart.js';
import { Daemons, daemonsImplemented, defaultScript, snapshotBundle } from './daemons.js';
import { Lab } from './lab.js';
import { idleRtt, type Measurement, measureBonded, measureLink } from './measure.js';
import { chartPng } from './raster.js';
import { f1, progressLine, table } from './report.js';
import { parseScenario } from './scenario.js';

export const DEMO_SCENARIO = `# The demo: three SIMs from three carriers on one router.
[lab]
name = demo
seed = 7

[link wan1]
cellular = A
delay = 20
queue = 150ms

[link wan2]
cellular = B
delay = 30
queue = 150ms

[link wan3]
cellular = C
delay = 40
queue = 150ms
`;

export interface DemoOptions {
  prefix: string;
  seconds: number;
  outDir: string;
  /** The wanbond bundle that runs the daemons (default: the running script). */
  script?: string;
  log: (text: string) => void;
  print: (text: string) => void;
  isTty?: boolean;
}

export interface DemoResult {
  ok: boolean;
  links: { name: string; mbit: number; rttMs?: number; loadedP50?: number }[];
  bonded?: { mbit: number; rttMs?: number; loadedP50?: number; cpu: { router?: number; server?: number } };
  files: string[];
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const scenario = parseScenario(DEMO_SCENARIO, '<demo>');
  const script = o.script ?? defaultScript();
  const isTty = o.isTty ?? Boolean(process.stderr.isTTY);
  const steps = scenario.links.length + 4;
  let step = 0;
  const say = (t: string) => o.log(`[${++step}/${steps}] ${t}\n`);
  mkdirSync(o.outDir, { recursive: true });
  const result: DemoResult = { ok: false, links: [], files: [] };

  say(`lab '${o.prefix}' up: ${scenario.links.map((l) => `${l.name} (carrier ${l.cellular?.carrier})`).join(', ')}`);
  const lab = await Lab.up(scenario, { prefix: o.prefix });
  let daemons: Daemons | undefined;
  let snapshot: ReturnType<typeof snapshotBundle> | undefined;
  const onSignal = () => {
    void (async () => {
      await daemons?.stop();
      await lab.down();
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs: Measurement[] = [];
  try {
    for (const l of lab.info.links) {
      say(`${l.name} alone: ${o.seconds} s upload, one TCP flow (${l.device} ${l.source})`);
      const rtt = await idleRtt(lab, lab.info.vps.publicAddress, l.source);
      const bar = progressLine(o.log, isTty);
      const m = await measureLink(lab, l.name, {
        seconds: o.seconds,
        direction: 'up',
        progress: (mbit, t) => bar.update(`      ${t.toFixed(0).padStart(3)} s  ${mbit.toFixed(1)} Mbit/s`),
      });
      bar.done(`      ${m.iperf.ok ? `${m.iperf.mbit.toFixed(1)} Mbit/s` : `failed: ${m.iperf.error}`}`);
      runs.push(m);
      const entry: DemoResult['links'][number] = { name: l.name, mbit: m.iperf.mbit };
      if (rtt !== undefined) entry.rttMs = rtt;
      if (m.loadedRtt.p50 !== undefined) entry.loadedP50 = m.loadedRtt.p50;
      result.links.push(entry);
    }
    say('looking for the daemons (wanbond router / wanbond server)');
    const haveDaemons = await daemonsImplemented(script);
    if (!haveDaemons) {
      o.log(`      not there yet: '${script} router' says "not implemented"; stopping after the per-link part\n`);
    } else {
      say(`bonded: starting wanbond server (${lab.info.vps.ns}) and wanbond router (${lab.info.router.ns})`);
      snapshot = snapshotBundle(script);
      daemons = await Daemons.start(lab.info, snapshot.script, o.outDir);
      const rtt = await idleRtt(lab, TUNNEL_SERVER);
      const bar = progressLine(o.log, isTty);
      const m = await measureBonded(lab, {
        seconds: o.seconds,
        direction: 'up',
        progress: (mbit, t) =>
          bar.update(`      ${t.toFixed(0).padStart(3)} s  ${mbit.toFixed(1)} Mbit/s on the links`),
      });
      bar.done(`      ${m.iperf.ok ? `${m.iperf.mbit.toFixed(1)} Mbit/s` : `failed: ${m.iperf.error}`}`);
      runs.push(m);
      const cpu = daemons.cpu();
      await daemons.stop();
      daemons = undefined;
      result.bonded = { mbit: m.iperf.mbit, cpu };
      if (rtt !== undefined) result.bonded.rttMs = rtt;
      if (m.loadedRtt.p50 !== undefined) result.bonded.loadedP50 = m.loadedRtt.p50;
    }
    say(`report and plots in ${o.outDir}`);
    o.print(`\n${demoTable(result)}\n`);
    result.files = writePlots(o.outDir, runs, result, o.seconds);
    o.print(`\nplots: ${result.files.join(', ')}\n`);
    if (!result.bonded) {
      o.print('\nbonded tunnel: skipped (the wanbond daemons are not implemented yet)\n');
    }
    result.ok = result.links.every((l) => l.mbit > 0);
    return result;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await daemons?.stop();
    await lab.down();
    snapshot?.dispose();
  }
}

export function demoTable(r: DemoResult): string {
  const sum = r.links.reduce((a, l) => a + l.mbit, 0);
  const rows = r.links.map((l) => [l.name, f1(l.mbit), '', f1(l.rttMs), f1(l.loadedP50)]);
  rows.push(['sum of links', f1(sum), '100', '', '']);
  if (r.bonded) {
    rows.push([
      'bonded',
      f1(r.bonded.mbit),
      f1((100 * r.bonded.mbit) / sum),
      f1(r.bonded.rttMs),
      f1(r.bonded.loadedP50),
    ]);
  } else rows.push(['bonded', 'n/a', '', '', '']);
  return table(['upload, 1 TCP flow', 'Mbit/s', '% of sum', 'RTT idle ms', 'RTT loaded p50'], rows);
}

function writePlots(dir: string, runs: Measurement[], r: DemoResult, seconds: number): string[] {
  // Samples continue while iperf3 collects its report; the plot shows the transfer itself.
  const upTo = (pts: { t: number; mbit: number }[]) =>
    pts.filter((p) => p.t <= seconds + 0.5).map((p) => ({ t: p.t, v: p.mbit }));
  // Each link alone from its emulator's counters (exact bytes per half second); iperf3's own intervals are coarse.
  const series: Chart['series'] = runs
    .filter((m) => m.label !== 'bonded')
    .map((m) => ({ name: `${m.label} alone`, points: upTo(m.perLink[m.label] ?? []) }));
  const bonded = runs.find((m) => m.label === 'bonded');
  if (bonded) {
    series.push({ name: 'bonded', points: upTo(bonded.iperf.intervals) });
    for (const [name, pts] of Object.entries(bonded.perLink)) {
      series.push({ name: `${name} in bond`, points: upTo(pts), dashed: true });
    }
  }
  const chart: Chart = {
    title: bonded ? 'Upload: each link alone and bonded' : 'Upload: each link alone (bonded: daemons not there yet)',
    xLabel: 'seconds',
    yLabel: 'Mbit/s',
    series,
  };
  const files = [join(dir, 'demo.svg'), join(dir, 'demo.png'), join(dir, 'demo.json')];
  writeFileSync(files[0]!, chartSvg(chart));
  writeFileSync(files[1]!, chartPng(chart));
  writeFileSync(files[2]!, `${JSON.stringify({ result: r, runs }, null, 2)}\n`);
  return files;
}
