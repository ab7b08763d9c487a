import { type AttachedControl, attachControl } from '../control/attach.js';
import { serverProvider } from '../control/server-provider.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/unix-socket.js';
import { loadServerConfigFile } from '../io/config-load.js';
import { parseDaemonArgs } from '../io/daemon-args.js';
import { realEngines } from '../io/engines.js';
import { createLogger, errText } from '../io/log.js';
import { runDaemon } from '../io/run-daemon.js';
import { openTunDevice } from '../io/tun-device.js';
import { ServerDaemon } from '../server/daemon.js';
import { type Command, parseOrExit } from './command.js';

const USAGE = `usage: wanbond server -c FILE [--control-socket PATH|off] [--ubus-socket PATH] [--debug]

Runs the VPS side in the foreground: one UDP port (option listen/port, default [::]:5555) for every
router, the TUN device (default wb0), IP forwarding, routes to each client's LAN subnets, and the
nft table inet wanbond (masquerade out of wan_device, inbound forwards, client isolation). The speed test
responder listens on the tunnel address, TCP, on the same port number (reachable only through the tunnel).

  -c, --config FILE        UCI config (e.g. /etc/wanbond/server)
  --control-socket PATH    JSON control socket for 'wanbond status' (default ${DEFAULT_CONTROL_SOCKET}; off: none)
  --ubus-socket PATH       also register the ubus object 'wanbond' there (default: when the system has ubus)
  -d, --debug              log debug lines too

Signals: SIGHUP reloads the config (a bad one is rejected, the running one stays),
SIGTERM/SIGINT stop and remove everything the server added.
Exits 1 if the TUN device fails under it (systemd respawns it).`;

export const server: Command = {
  name: 'server',
  summary: 'run the VPS daemon in the foreground',
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrExit(server, args, io, (a) => parseDaemonArgs(a, ['--control-socket', '--ubus-socket']));
    if (typeof parsed === 'number') return parsed;
    const log = createLogger('server', io, { debug: parsed.debug });
    const controlSocket = parsed.values.get('--control-socket');
    const ubusSocket = parsed.values.get('--ubus-socket');
    let control: AttachedControl | undefined;
    return runDaemon(
      (fail) =>
        ServerDaemon.start(parsed.config, {
          loadConfig: loadServerConfigFile,
          engines: realEngines,
          openTun: openTunDevice,
          log,
          onFatal: fail,
        }),
      log,
      (err) => {
        log.error(`cannot start: ${errText(err)}`);
        return 1;
      },
      {
        async started(daemon) {
          control = await attachControl(serverProvider(daemon), {
            unixSocket: controlSocket === 'off' ? false : (controlSocket ?? DEFAULT_CONTROL_SOCKET),
            ubus: 'auto',
            ...(ubusSocket ? { ubusSocket } : {}),
            log,
          });
        },
        async stopping() {
          await control?.close();
        },
      },
    );
  },
};
