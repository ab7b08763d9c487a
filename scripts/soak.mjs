#!/usr/bin/env node
// `make soak`: hours of the lab (src/wanbond/lab) with cellular traces, random link cuts and the full-length faults
// of issue 11, reporting the same figures over time. Not for CI. Needs root, iperf3 and a built dist/ (`make build`).
//
//   node scripts/soak.mjs [--hours H | --minutes M] [--scenario FILE] [--seed N] [--prefix P] [--fault-every N]
//
// Rounds of ~40 s repeat until the time is up: a 30 s TCP transfer through the bonded tunnel (upload and download
// alternate) during which random links are cut for 1-10 s. Every 10th round (--fault-every) is a fault round instead: one link
// flapping every second for 60 s, then every link down for 30 s. Each round records goodput, retransmits, loaded
// RTT p50/p95, the longest delivery gap, the daemons' RSS, open fds and CPU, and whether they still run; after a
// fault round, how long the tunnel took to answer again. bench/results/soak.json is rewritten after every round, so
// an interrupted soak keeps what it measured. Growth of RSS/fds between the first and the last rounds is the leak
// figure to watch.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const minutes = opt('--minutes') !== undefined ? Number(opt('--minutes')) : Number(opt('--hours', 2)) * 60;
const scenarioFile = opt('--scenario', join(ROOT, 'bench', 'scenarios', 'S-cellular.ini'));
let seed = Number(opt('--seed', Date.now() % 1e6));
const prefix = opt('--prefix', 'wbsoak');
const faultEvery = Number(opt('--fault-every', 10));
const OUT = join(ROOT, 'bench', 'results', 'soak.json');

const rand = () => {
  // xorshift32: a soak is replayable from its seed (the cut schedule; the traffic itself is real).
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (m) => process.stderr.write(`soak ${new Date().toISOString().slice(11, 19)}: ${m}\n`);

/** The lab modules, bundled from TypeScript on the fly (as bench/run.mjs does for the benchmarks). */
async function loadLab(tmp) {
  const out = join(tmp, 'lab.mjs');
  await build({
    stdin: {
      contents: [
        "export { Lab } from './lab.js';",
        "export { Daemons, snapshotBundle } from './daemons.js';",
        "export { measureBonded } from './measure.js';",
        "export { loadScenario } from './scenario.js';",
        "export { runPing } from './ping.js';",
        "export { longestGap } from './iperf.js';",
      ].join('\n'),
      resolveDir: join(ROOT, 'src', 'wanbond', 'lab'),
      loader: 'ts',
    },
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ROOT, 'src', 'wanbond', 'lab', 'soak.js')).href) },
    logLevel: 'warning',
  });
  return import(pathToFileURL(out).href);
}

function procFigures(child) {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024,
      fds: readdirSync(`/proc/${child.pid}/fd`).length,
      cpuS: (Number(f[11]) + Number(f[12])) / 100,
    };
  } catch {
    return undefined;
  }
}

/** Seconds until the tunnel answers a ping again (polled every 200 ms, up to `maxS`). */
async function tunnelBackS(lab, runPing, maxS) {
  const t0 = Date.now();
  while ((Date.now() - t0) / 1000 < maxS) {
    const r = await runPing(lab.info.router.ns, '10.255.0.1', 1, { count: 1 });
    if (r.samples.length > 0) return (Date.now() - t0) / 1000;
    await sleep(200);
  }
  return undefined;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (namespaces)');
  const tmp = mkdtempSync(join(tmpdir(), 'wbsoak-'));
  const L = await loadLab(tmp);
  const bin = L.snapshotBundle(join(ROOT, 'dist', 'wanbond.js'));
  const scenario = L.loadScenario(scenarioFile);
  log(`scenario ${scenario.name}, ${minutes} min, seed ${seed}, prefix ${prefix}`);
  const lab = await L.Lab.up(scenario, { prefix });
  const report = { started: new Date().toISOString(), scenario: scenario.name, seed, minutes, rounds: [] };
  let daemons;
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (stopping = true));
  try {
    daemons = await L.Daemons.start(lab.info, bin.script, tmp);
    const links = lab.info.links.map((l) => l.name);
    const deadline = Date.now() + minutes * 60_000;
    for (let round = 1; Date.now() < deadline && !stopping; round++) {
      const at = new Date().toISOString();
      const entry = { round, at };
      if (round % faultEvery === 0) {
        // Full-length faults: 60 s of one link flapping every second, then 30 s with every link down.
        const link = links[Math.floor(rand() * links.length)];
        entry.kind = 'faults';
        entry.flapLink = link;
        for (let s = 0; s < 60 && !stopping; s++) {
          await lab.command(link, 'cut');
          await sleep(500);
          await lab.command(link, 'restore');
          await sleep(500);
        }
        entry.afterFlapS = await tunnelBackS(lab, L.runPing, 10);
        for (const l of links) await lab.command(l, 'cut');
        await sleep(30_000);
        for (const l of links) await lab.command(l, 'restore');
        entry.afterAllDownS = await tunnelBackS(lab, L.runPing, 60);
      } else {
        const direction = round % 2 ? 'up' : 'down';
        const cuts = [];
        const timers = [];
        const m = await L.measureBonded(lab, {
          seconds: 30,
          direction,
          onStart: () => {
            for (let c = 0; c < 3; c++) {
              const link = links[Math.floor(rand() * links.length)];
              const startS = 2 + rand() * 24;
              const lenS = 1 + rand() * 9;
              cuts.push({ link, startS: +startS.toFixed(1), seconds: +lenS.toFixed(1) });
              timers.push(setTimeout(() => lab.command(link, 'cut').catch(() => {}), startS * 1000));
              timers.push(setTimeout(() => lab.command(link, 'restore').catch(() => {}), (startS + lenS) * 1000));
            }
          },
        });
        for (const t of timers) clearTimeout(t);
        for (const l of links) await lab.command(l, 'restore').catch(() => {});
        Object.assign(entry, {
          kind: 'transfer',
          direction,
          cuts,
          ok: m.iperf.ok,
          mbit: +m.iperf.mbit.toFixed(2),
          retransmits: m.iperf.retransmits,
          rttP50: m.loadedRtt.p50,
          rttP95: m.loadedRtt.p95,
          longestGapS: m.iperf.intervals.length ? L.longestGap(m.iperf.intervals, 0, 0.5) : undefined,
        });
      }
      entry.router = procFigures(daemons.router);
      entry.server = procFigures(daemons.server);
      entry.deaths = daemons.deaths();
      report.rounds.push(entry);
      report.updated = new Date().toISOString();
      const first = report.rounds.find((r) => r.router && r.server);
      report.growth = first && {
        routerRssMb: +(entry.router?.rssMb - first.router.rssMb).toFixed(1),
        serverRssMb: +(entry.server?.rssMb - first.server.rssMb).toFixed(1),
        routerFds: entry.router?.fds - first.router.fds,
        serverFds: entry.server?.fds - first.server.fds,
      };
      mkdirSync(dirname(OUT), { recursive: true });
      writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
      log(
        `round ${round} ${entry.kind}${entry.direction ? ` ${entry.direction}` : ''}: ` +
          (entry.kind === 'transfer'
            ? `${entry.mbit} Mbit/s, rtt p95 ${entry.rttP95?.toFixed?.(0)} ms, gap ${entry.longestGapS} s`
            : `tunnel back ${entry.afterFlapS} s after flapping, ${entry.afterAllDownS} s after all-down`) +
          `; rss router ${entry.router?.rssMb?.toFixed(0)} MB server ${entry.server?.rssMb?.toFixed(0)} MB` +
          (entry.deaths.length ? `; DEATHS ${entry.deaths.join(', ')}` : ''),
      );
      if (entry.deaths.length) break;
    }
  } finally {
    await daemons?.stop();
    await lab.down();
    bin.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
  const deaths = report.rounds.some((r) => r.deaths.length > 0);
  process.stdout.write(`soak: ${report.rounds.length} rounds; growth ${JSON.stringify(report.growth)}; ${OUT}\n`);
  process.exitCode = deaths ? 1 : 0;
}

main().catch((err) => {
  log(err.stack ?? String(err));
  process.exitCode = 2;
});
