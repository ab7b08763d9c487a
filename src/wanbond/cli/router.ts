import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaultSocketPath, UbusClient } from 'ubus-js';
import { type AttachedControl, attachControl } from '../control/attach.js';
import { openwrtMethods } from '../control/openwrt-methods.js';
import { routerProvider } from '../control/router-provider.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/unix-socket.js';
import { loadRouterConfigFile } from '../io/config-load.js';
import { parseDaemonArgs } from '../io/daemon-args.js';
import { realEngines } from '../io/engines.js';
import { createLogger, errText } from '../io/log.js';
import { isOpenWrt, reloadConfigIfPresent } from '../io/openwrt-host.js';
import { DisabledError, RouterDaemon } from '../io/router-daemon.js';
import { type PolicyRoutingMode, policyRoutingWanted } from '../io/router-policy.js';
import { routerSpeedtestJobs } from '../io/router-speedtest.js';
import { runDaemon } from '../io/run-daemon.js';
import { openTunDevice } from '../io/tun-device.js';
import { netifdLinkResolver } from '../openwrt/netifd.js';
import { type NetifdLinkWatch, watchLinkInterfaces } from '../openwrt/netifd-links.js';
import { PolicyRouter } from '../openwrt/policy-routing.js';
import type { SpeedtestJobs } from '../speedtest/jobs.js';
import { type Command, parseOrExit } from './command.js';

const USAGE = `usage: wanbond router -c FILE [--ubus-socket PATH] [--control-socket PATH|off]
                      [--policy-routing auto|on|off] [--lan-device DEV[,DEV...]] [--debug]

Runs the router side in the foreground: opens the TUN device (option tun, default wb0), binds one UDP socket per
enabled link to its source address, and carries the tunnel to option server:port.

  -c, --config FILE        UCI config (e.g. /etc/config/wanbond)
  --ubus-socket PATH       ubus socket (default: the system's): the ubus object 'wanbond', and netifd for links
                           with option interface
  --control-socket PATH    JSON control socket for 'wanbond status' (default ${DEFAULT_CONTROL_SOCKET}; off: none)
  --policy-routing MODE    rules, direct policies and LAN-into-tunnel routing (docs/routing.md); auto (default):
                           on when /etc/openwrt_release exists
  --lan-device DEVS        LAN devices whose traffic enters the tunnel (default br-lan)
  -d, --debug              log debug lines too

Signals: SIGHUP reloads the config (a bad one is rejected, the running one stays),
SIGTERM/SIGINT stop and remove the TUN device, the nft tables and the policy rules.
Exits 1 if the TUN device fails under it (procd/systemd respawn it).`;

const OPTIONS = ['--ubus-socket', '--control-socket', '--policy-routing', '--lan-device'];

export const router: Command = {
  name: 'router',
  summary: 'run the router daemon in the foreground',
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrExit(router, args, io, (a) => parseDaemonArgs(a, OPTIONS));
    if (typeof parsed === 'number') return parsed;
    const policyMode = (parsed.values.get('--policy-routing') ?? 'auto') as PolicyRoutingMode;
    if (!['auto', 'on', 'off'].includes(policyMode)) {
      io.stderr(`wanbond router: --policy-routing must be auto, on or off\n`);
      return 1;
    }
    const lanDevices = parsed.values
      .get('--lan-device')
      ?.split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '');
    const controlSocket = parsed.values.get('--control-socket');
    const ubusSocket = parsed.values.get('--ubus-socket');
    const log = createLogger('router', io, { debug: parsed.debug });

    // netifd needs ubus before the links are bound (their `interface` gives device and source).
    let ubus: UbusClient | undefined;
    const ubusPath = ubusSocket ?? defaultSocketPath();
    if (existsSync(ubusPath)) {
      try {
        ubus = await UbusClient.connect({ socket: ubusPath });
      } catch (err) {
        log.warn(`ubus ${ubusPath}: ${errText(err)}; links with option interface cannot be resolved`);
      }
    }
    const policy = policyRoutingWanted(policyMode, isOpenWrt())
      ? { router: new PolicyRouter({ log }), ...(lanDevices?.length ? { lanDevices } : {}) }
      : undefined;
    let control: AttachedControl | undefined;
    let watch: NetifdLinkWatch | undefined;
    let jobs: SpeedtestJobs | undefined;

    const code = await runDaemon(
      (fail) =>
        RouterDaemon.start(parsed.config, {
          loadConfig: loadRouterConfigFile,
          engines: realEngines,
          openTun: openTunDevice,
          log,
          ...(ubus ? { resolveLink: netifdLinkResolver(ubus) } : {}),
          ...(policy ? { policy } : {}),
          onFatal: fail,
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
      {
        async started(daemon) {
          if (ubus) {
            try {
              watch = await watchLinkInterfaces(
                ubus,
                () => daemon.linkConfigs(),
                (p) => {
                  const found = p.up
                    ? {
                        ...(p.device ? { device: p.device } : {}),
                        ...(p.source ? { source: p.source } : {}),
                        ...(p.gateway ? { gateway: p.gateway } : {}),
                      }
                    : undefined;
                  daemon.setLinkAddress(p.link, found).catch((err) => log.error(`link ${p.link}: ${errText(err)}`));
                },
                { onError: (err, iface) => log.warn(`netifd ${iface}: ${errText(err)}`) },
              );
            } catch (err) {
              log.warn(`cannot follow netifd: ${errText(err)}`);
            }
          }
          jobs = routerSpeedtestJobs(daemon, log);
          const extraMethods = openwrtMethods({
            confPath: parsed.config,
            confdir: dirname(parsed.config),
            reload: () => daemon.reload(),
            applyNetwork: reloadConfigIfPresent,
          });
          control = await attachControl(routerProvider(daemon, { speedtest: jobs, extraMethods }), {
            unixSocket: controlSocket === 'off' ? false : (controlSocket ?? DEFAULT_CONTROL_SOCKET),
            ubus: ubus || ubusSocket || existsSync(ubusPath) ? 'auto' : 'off',
            ...(ubusSocket ? { ubusSocket } : {}),
            log,
          });
        },
        async stopping() {
          jobs?.close();
          await watch?.close();
          await control?.close();
        },
      },
    );
    ubus?.close();
    return code;
  },
};
