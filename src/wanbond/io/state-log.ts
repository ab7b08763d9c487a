import type { PathStats, ServerStats, SessionStats } from '../engine/api.js';
import type { Logger } from './log.js';

/** How often the daemons compare engine state with what they last logged. */
export const STATE_LOG_MS = 250;
/** Every this many state checks, a --debug line with the figures (once a second). */
export const FIGURES_EVERY = 4;

/**
 * Turns engine state into one log line per change (session established/lost, a path going up, suspect, down), so
 * procd/journald show the events without the engine knowing about logs. Polling the cheap stats() a few times a
 * second is enough: a state that lasts less than that is not worth a line.
 */
export class StateLog {
  private readonly seen = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  session(stats: SessionStats, who = 'session'): void {
    this.change(who, stats.state, (s) => `${who} ${s}`);
    for (const p of stats.paths) this.path(who, p);
  }

  server(stats: ServerStats): void {
    const names = new Set<string>();
    for (const c of stats.clients) {
      names.add(c.name);
      this.session(c.session, `client ${c.name}`);
    }
    for (const key of [...this.seen.keys()]) {
      const name = /^client (.+?)(?: path |$)/.exec(key)?.[1];
      if (name !== undefined && !names.has(name)) this.seen.delete(key);
    }
  }

  /** A --debug line with each path's figures, for watching the estimators while a transfer runs. */
  figures(stats: SessionStats, who = 'session'): void {
    const paths = stats.paths.map((p) => {
      const rtt = p.rttMs !== undefined ? p.rttMs.toFixed(1) : '-';
      const cwnd = p.cwndBytes !== undefined ? ` cwnd ${Math.round(p.cwndBytes / 1024)}k` : '';
      const inflight = p.inflightBytes !== undefined ? ` inflight ${Math.round(p.inflightBytes / 1024)}k` : '';
      const rate = p.capacityUpKbit !== undefined ? ` est ${(p.capacityUpKbit / 1000).toFixed(1)}M` : '';
      return `${p.name}:${p.state} rtt ${rtt}${cwnd}${inflight}${rate} share ${Math.round(p.share * 100)}% loss ${(p.loss * 100).toFixed(1)}%`;
    });
    this.log.debug(
      `${who}: ${stats.state} tx ${stats.txBytes} rx ${stats.rxBytes} reorder ${stats.reorderDepth} resent ${stats.resentPackets} | ${paths.join(' | ')}`,
    );
  }

  private path(who: string, p: PathStats): void {
    const key = `${who} path ${p.pathId}`;
    this.change(key, p.state, (s) => {
      const rtt = p.rttMs !== undefined ? `, rtt ${p.rttMs.toFixed(1)} ms` : '';
      const addr = p.address !== undefined ? ` (${p.address})` : '';
      return `${who === 'session' ? '' : `${who} `}path ${p.pathId} ${p.name}${addr} ${s}${rtt}`;
    });
  }

  private change(key: string, value: string, line: (v: string) => string): void {
    const before = this.seen.get(key);
    if (before === value) return;
    this.seen.set(key, value);
    // Paths start "down" before anything happened: only report where they go from there.
    if (before === undefined && (value === 'down' || value === 'idle')) return;
    this.log.info(line(value));
  }
}
