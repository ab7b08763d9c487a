import { errText, type Logger } from './log.js';

export interface Daemon {
  reload(): Promise<{ ok: boolean; error?: string }>;
  stop(): Promise<void>;
}

/**
 * Where the control API plugs in: `started` runs once the daemon is up (serve daemon.status()/reload() over ubus or
 * the unix socket), `stopping` before it is torn down (close those servers).
 */
export interface DaemonHooks<D> {
  started?(daemon: D): void | Promise<void>;
  stopping?(daemon: D): void | Promise<void>;
}

/**
 * Runs a daemon in the foreground: SIGHUP reloads, SIGTERM/SIGINT stop it cleanly. The handlers are in place
 * before start() begins, and signals are handled one at a time behind it, so a SIGTERM that arrives while the
 * daemon is still setting up waits for the set-up and then removes it, instead of killing the process half-way
 * with its TUN and nft table left behind. Resolves with the exit code: 0 after a clean stop, or what
 * `onStartError` says when start() fails, or 1 after `fail` (given to start: a fault the daemon cannot survive,
 * such as its TUN device vanishing) stopped it cleanly, so procd/systemd respawn it.
 */
export function runDaemon<D extends Daemon>(
  start: (fail: (err: Error) => void) => Promise<D>,
  log: Logger,
  onStartError: (err: unknown) => number,
  hooks: DaemonHooks<D> = {},
): Promise<number> {
  return new Promise((resolve) => {
    let daemon: D | undefined;
    let stopping = false;
    const cleanup = () => {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
    };
    const fail = (err: Error) => {
      if (stopping) return;
      stopping = true;
      log.error(`fatal: ${err.message}; stopping`);
      queue(async (d) => {
        try {
          await hooks.stopping?.(d);
        } catch (e) {
          log.error(errText(e));
        }
        await d.stop();
        cleanup();
        resolve(1);
      });
    };
    let chain: Promise<unknown> = start(fail).then(
      async (d) => {
        daemon = d;
        await hooks.started?.(d);
      },
      (err: unknown) => {
        cleanup();
        resolve(onStartError(err));
      },
    );
    const queue = (fn: (d: D) => Promise<unknown>) => {
      chain = chain.then(() => (daemon ? fn(daemon) : undefined)).catch((err: unknown) => log.error(errText(err)));
    };
    const onHup = () => {
      if (stopping) return;
      log.info('SIGHUP: reloading');
      queue((d) => d.reload());
    };
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      queue(async (d) => {
        try {
          await hooks.stopping?.(d);
        } catch (err) {
          log.error(errText(err));
        }
        await d.stop();
        cleanup();
        resolve(0);
      });
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
