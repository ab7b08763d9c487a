// The router daemon in-process with its speed test jobs wired to pin links (RouterDaemon.pinLink), as
// `wanbond router` wires them: `node speedtest-harness.cjs -c FILE`, then commands on stdin, one per line:
//   speedtest LINK|- SECONDS     runs a speed test (`-`: each link then bonded) and prints `SPEEDTEST {job json}`
//   status                       prints `STATUS {json}` (RouterDaemon.status())
import { createInterface } from 'node:readline';
import { loadRouterConfigFile } from '../../../src/wanbond/io/config-load.js';
import { realEngines } from '../../../src/wanbond/io/engines.js';
import { createLogger } from '../../../src/wanbond/io/log.js';
import { RouterDaemon } from '../../../src/wanbond/io/router-daemon.js';
import { routerSpeedtestJobs } from '../../../src/wanbond/io/router-speedtest.js';
import { runDaemon } from '../../../src/wanbond/io/run-daemon.js';
import { openTunDevice } from '../../../src/wanbond/io/tun-device.js';
import type { SpeedtestJob, SpeedtestJobs } from '../../../src/wanbond/speedtest/jobs.js';

/** What the harness prints after `SPEEDTEST ` (the speedtest_result reply). */
export type HarnessSpeedtest = SpeedtestJob;

const file = process.argv[4] ?? '';
const log = createLogger('router', {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

let jobs: SpeedtestJobs | undefined;

function serve(daemon: RouterDaemon): void {
  jobs = routerSpeedtestJobs(daemon, log);
  const running = jobs;
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, link = '-', seconds = '2'] = line.trim().split(/\s+/);
    if (cmd === 'status') process.stdout.write(`STATUS ${JSON.stringify(daemon.status())}\n`);
    if (cmd !== 'speedtest') return;
    const { job } = running.start({ ...(link === '-' ? {} : { link }), seconds: Number(seconds) });
    const poll = setInterval(() => {
      const r = running.result(job);
      if (r.state !== 'done' && r.state !== 'failed') return;
      clearInterval(poll);
      process.stdout.write(`SPEEDTEST ${JSON.stringify(r)}\n`);
    }, 100);
  });
}

void runDaemon<RouterDaemon>(
  () =>
    RouterDaemon.start(file, { engines: realEngines, openTun: openTunDevice, log, loadConfig: loadRouterConfigFile }),
  log,
  (err) => {
    log.error(`cannot start: ${(err as Error).message}`);
    return 1;
  },
  {
    started: serve,
    stopping: () => {
      jobs?.close();
      process.stdin.destroy();
    },
  },
).then((code) => {
  process.exitCode = code;
});
