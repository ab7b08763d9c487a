import { loadRouterConfigFile } from '../io/config-load.js';
import { parseDaemonArgs } from '../io/daemon-args.js';
import { realEngines } from '../io/engines.js';
import { createLogger, errText } from '../io/log.js';
import { DisabledError, RouterDaemon } from '../io/router-daemon.js';
import { runDaemon } from '../io/run-daemon.js';
import { openTunDevice } from '../io/tun-device.js';
import { type Command, wantsHelp } from './command.js';

const USAGE = `usage: wanbond router -c FILE [--ubus-socket PATH] [--debug]

Runs the router side in the foreground: opens the TUN device (option tun, default wb0), binds one UDP socket per
enabled link to its source address, and carries the tunnel to option server:port.

  -c, --config FILE     UCI config (e.g. /etc/config/wanbond)
  --ubus-socket PATH    ubus socket for the control object (default: the system's)
  -d, --debug           log debug lines too

Signals: SIGHUP reloads the config (a bad one is rejected, the running one stays),
SIGTERM/SIGINT stop and remove the TUN device and the nft table inet wanbond.`;

export const router: Command = {
  name: 'router',
  summary: 'run the router daemon in the foreground',
  usage: USAGE,
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const parsed = parseDaemonArgs(args, ['--ubus-socket']);
    if (typeof parsed === 'string') {
      io.stderr(`wanbond router: ${parsed}\n\n${USAGE}\n`);
      return 1;
    }
    const log = createLogger('router', io, { debug: parsed.debug });
    // The control API (ubus object / unix socket) attaches here, through runDaemon's `hooks` (started/stopping):
    // daemon.status() and daemon.reload() are the calls it needs.
    return runDaemon(
      () =>
        RouterDaemon.start(parsed.config, {
          loadConfig: loadRouterConfigFile,
          engines: realEngines,
          openTun: openTunDevice,
          log,
        }),
      log,
      (err) => {
        if (err instanceof DisabledError) {
          log.info(`${err.message}: nothing to do`);
          return 0;
        }
        log.error(`cannot start: ${errText(err)}`);
        return 1;
      },
    );
  },
};
