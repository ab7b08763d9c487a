import { loadServerConfigFile } from '../io/config-load.js';
import { parseDaemonArgs } from '../io/daemon-args.js';
import { realEngines } from '../io/engines.js';
import { createLogger, errText } from '../io/log.js';
import { runDaemon } from '../io/run-daemon.js';
import { openTunDevice } from '../io/tun-device.js';
import { ServerDaemon } from '../server/daemon.js';
import { type Command, wantsHelp } from './command.js';

const USAGE = `usage: wanbond server -c FILE [--debug]

Runs the VPS side in the foreground: one UDP port (option listen/port, default [::]:5555) for every
router, the TUN device (default wb0), IP forwarding, routes to each client's LAN subnets, and the
nft table inet wanbond (masquerade out of wan_device, inbound forwards, client isolation).

  -c, --config FILE     UCI config (e.g. /etc/wanbond/server)
  -d, --debug           log debug lines too

Signals: SIGHUP reloads the config (a bad one is rejected, the running one stays),
SIGTERM/SIGINT stop and remove everything the server added.`;

export const server: Command = {
  name: 'server',
  summary: 'run the VPS daemon in the foreground',
  usage: USAGE,
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const parsed = parseDaemonArgs(args);
    if (typeof parsed === 'string') {
      io.stderr(`wanbond server: ${parsed}\n\n${USAGE}\n`);
      return 1;
    }
    const log = createLogger('server', io, { debug: parsed.debug });
    // The control API (unix socket status) attaches here, through runDaemon's `hooks` (started/stopping):
    // daemon.status() and daemon.reload() are the calls it needs.
    return runDaemon(
      () =>
        ServerDaemon.start(parsed.config, {
          loadConfig: loadServerConfigFile,
          engines: realEngines,
          openTun: openTunDevice,
          log,
        }),
      log,
      (err) => {
        log.error(`cannot start: ${errText(err)}`);
        return 1;
      },
    );
  },
};
