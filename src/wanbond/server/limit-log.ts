import type { ServerLimitStats } from '../engine/api.js';
import type { Logger } from '../io/log.js';

/** At most one line per limit this often: a router retrying against a full server must not flood the log. */
export const LIMIT_LOG_MS = 60_000;

/**
 * Reports the server-wide limits when they bite (docs/limits.md): handshakes refused at `max_clients`, packets
 * dropped or reorder holes skipped because `max_buffer_mb` was spent. Counts since the previous line.
 */
export class LimitLog {
  private refused = 0;
  private budgetRefused = 0;
  private loggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly log: Logger) {}

  /** `now`: any millisecond clock (the daemon's monotonic one). */
  check(limits: ServerLimitStats | undefined, now: number): void {
    if (!limits || now - this.loggedAt < LIMIT_LOG_MS) return;
    const refused = limits.sessionsRefused - this.refused;
    const budget = limits.budgetRefused - this.budgetRefused;
    if (refused <= 0 && budget <= 0) return;
    this.refused = limits.sessionsRefused;
    this.budgetRefused = limits.budgetRefused;
    this.loggedAt = now;
    if (refused > 0) {
      const last = limits.lastRefused !== undefined ? `, last from client ${limits.lastRefused}` : '';
      this.log.warn(
        `max_clients ${limits.maxClients} reached: refused ${refused} handshake(s)${last}; ${limits.sessions} session(s) live`,
      );
    }
    if (budget > 0) {
      const mib = (n: number) => (n / 2 ** 20).toFixed(1);
      this.log.warn(
        `max_buffer_mb ${mib(limits.bufferBudgetBytes)} reached: ${budget} packet(s) dropped or reorder hole(s) skipped early; ${mib(limits.bufferedBytes)} MiB held now by ${limits.sessions} session(s)`,
      );
    }
  }
}
