import { SpeedtestJobs, serverTunnelAddress } from '../speedtest/jobs.js';
import type { Logger } from './log.js';
import type { RouterDaemon } from './router-daemon.js';

/**
 * The router's speed test jobs wired to a running daemon: the responder is the server's tunnel address (the first
 * host of the router's tunnel subnet) on the tunnel's port, and "one link alone" pins the session to that link.
 */
export function routerSpeedtestJobs(daemon: RouterDaemon, log: Logger): SpeedtestJobs {
  return new SpeedtestJobs({
    target: () => {
      const addr = daemon.tunnelAddressText();
      const host = addr ? serverTunnelAddress(addr.includes('/') ? addr : `${addr}/24`) : undefined;
      return host ? { host, port: daemon.port } : undefined;
    },
    stats: () => daemon.status().stats,
    linkNames: () => daemon.linkConfigs().map((l) => l.name),
    pin: (link) => {
      daemon.pinLink(link);
    },
    log,
  });
}
