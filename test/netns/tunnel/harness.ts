// The daemons in-process, for the seams other parts call (status(), setLinkAddress()): run like the bundle
// (`node harness.cjs router|server -c FILE`), plus commands on stdin, one per line:
//   status                        prints `STATUS {json}`
//   link NAME down                netifd says the interface went down
//   link NAME up DEVICE SOURCE    netifd says it is up with this device and address
import { createInterface } from 'node:readline';
import { loadRouterConfigFile, loadServerConfigFile } from '../../../src/wanbond/io/config-load.js';
import { realEngines } from '../../../src/wanbond/io/engines.js';
import { createLogger } from '../../../src/wanbond/io/log.js';
import { RouterDaemon } from '../../../src/wanbond/io/router-daemon.js';
import { runDaemon } from '../../../src/wanbond/io/run-daemon.js';
import { openTunDevice } from '../../../src/wanbond/io/tun-device.js';
import { ServerDaemon } from '../../../src/wanbond/server/daemon.js';

const [role, , file = ''] = process.argv.slice(2);
const log = createLogger(role === 'server' ? 'server' : 'router', {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
const deps = { engines: realEngines, openTun: openTunDevice, log };

function commands(daemon: RouterDaemon | ServerDaemon): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, name = '', state, device, source] = line.trim().split(/\s+/);
    if (cmd === 'status') process.stdout.write(`STATUS ${JSON.stringify(daemon.status())}\n`);
    if (cmd === 'link' && daemon instanceof RouterDaemon) {
      void daemon.setLinkAddress(name, state === 'up' ? { device, source } : undefined);
    }
  });
}

void runDaemon<RouterDaemon | ServerDaemon>(
  () =>
    role === 'server'
      ? ServerDaemon.start(file, { ...deps, loadConfig: loadServerConfigFile })
      : RouterDaemon.start(file, { ...deps, loadConfig: loadRouterConfigFile }),
  log,
  (err) => {
    log.error(`cannot start: ${(err as Error).message}`);
    return 1;
  },
  {
    started: commands,
    stopping: () => {
      process.stdin.destroy();
    },
  },
).then((code) => {
  process.exitCode = code;
});
