/**
 * Runs a daemon's control API for its lifetime: the ControlServer (unix socket + ubus object) and a once-a-second
 * look at the links that turns state changes into `wanbond.link` events. A control socket that cannot be served
 * (another daemon holds the path) is logged and the daemon runs on without it: forwarding matters more.
 */
import { LinkEventTracker } from './link-events.js';
import { type ControlLogger, ControlServer, type ControlServerOptions } from './server.js';
import type { ControlProvider } from './types.js';

const LINK_WATCH_MS = 1000;

export interface AttachedControl {
  readonly server: ControlServer | undefined;
  readonly tracker: LinkEventTracker;
  close(): Promise<void>;
}

export async function attachControl(
  provider: ControlProvider,
  opts: Omit<ControlServerOptions, 'provider' | 'events' | 'log'> & { log: ControlLogger; watchMs?: number },
): Promise<AttachedControl> {
  const tracker = new LinkEventTracker();
  let server: ControlServer | undefined;
  try {
    server = await ControlServer.start({ ...opts, provider, events: () => tracker.events() });
  } catch (err) {
    opts.log.error(`control API not available: ${err instanceof Error ? err.message : String(err)}`);
  }
  let busy = false;
  const look = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const ev of tracker.update(await provider.links(), Date.now())) {
        opts.log.info(`link ${ev.link}: ${ev.from} -> ${ev.to}${ev.reason ? ` (${ev.reason})` : ''}`);
        await server?.linkEvent(ev);
      }
    } catch (err) {
      opts.log.warn(`link watch: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      busy = false;
    }
  };
  await look();
  const timer = setInterval(() => void look(), opts.watchMs ?? LINK_WATCH_MS);
  return {
    server,
    tracker,
    async close() {
      clearInterval(timer);
      await server?.close();
    },
  };
}
