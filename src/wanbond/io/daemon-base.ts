import type { Logger } from './log.js';
import { deleteTable } from './nft.js';
import { StateLog } from './state-log.js';

/** What both daemons' dependencies have in common. */
export interface DaemonDepsBase {
  log: Logger;
  /** Monotonic milliseconds for the engine (tests inject one); performance.now() by default. */
  clock?: () => number;
}

/**
 * The life cycle the router and the server daemon share: `launch` runs `init` and, when it fails, `stop` removes
 * whatever init had set up before the error goes to the caller, so a failed start leaves no TUN, route or nft
 * table behind. The fields are the bookkeeping both read in init, stop and status.
 */
export abstract class DaemonBase<D extends DaemonDepsBase> {
  protected readonly clock: () => number;
  protected readonly stateLog: StateLog;
  protected readonly startedAt = new Date();
  protected stateTimer: NodeJS.Timeout | undefined;
  /** start() completed: stop() then reports a stop, not the clean-up of a failed start. */
  protected running = false;
  protected stopping = false;
  protected firewallApplied = false;
  private tunErrors = 0;

  protected constructor(
    readonly configFile: string,
    protected readonly deps: D,
  ) {
    this.clock = deps.clock ?? (() => performance.now());
    this.stateLog = new StateLog(deps.log);
  }

  protected get log(): Logger {
    return this.deps.log;
  }

  protected abstract init(): Promise<void>;
  abstract stop(): Promise<void>;

  protected static async launch<T extends DaemonBase<DaemonDepsBase>>(daemon: T): Promise<T> {
    try {
      await daemon.init();
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  /** Removes the daemon's nft table if it added one (stop, and the clean-up of a failed start). */
  protected async removeFirewall(): Promise<void> {
    if (!this.firewallApplied) return;
    await deleteTable();
    this.firewallApplied = false;
    this.log.info('nft table inet wanbond removed');
  }

  /** Write errors are per packet and can repeat at line rate: one line per 1000. */
  protected tunError(err: Error): void {
    if (this.tunErrors++ % 1000 === 0) this.log.warn(`tun write: ${err.message} (${this.tunErrors} so far)`);
  }
}
