/**
 * Turns successive link lists (from `buildLinks`/`buildStatus`) into state-change events for `wanbond.link`
 * notifications, and keeps the recent ones for the `events` method. The daemon feeds it each time it looks at
 * its stats (e.g. once a second); the first look only records the states, so a restart does not flood listeners.
 */
import type { LinkEvent, LinkReply, LinkStateName } from './types.js';

export class LinkEventTracker {
  private last = new Map<string, LinkStateName>();
  private recent: LinkEvent[] = [];
  private primed = false;

  constructor(private readonly keep = 100) {}

  /** Returns the transitions since the previous call. `reasons` may explain a link's change (e.g. "ifdown"). */
  update(links: LinkReply[], wallNow: number, reasons: Record<string, string> = {}): LinkEvent[] {
    const out: LinkEvent[] = [];
    const seen = new Set<string>();
    for (const l of links) {
      seen.add(l.name);
      const prev = this.last.get(l.name);
      this.last.set(l.name, l.state);
      if (!this.primed || prev === l.state) continue;
      const ev: LinkEvent = { link: l.name, from: prev ?? 'down', to: l.state, time: Math.round(wallNow / 1000) };
      if (l.interface) ev.interface = l.interface;
      const reason = reasons[l.name] ?? l.error ?? (prev === undefined ? 'added' : undefined);
      if (reason) ev.reason = reason;
      out.push(ev);
    }
    for (const name of [...this.last.keys()]) {
      if (seen.has(name)) continue;
      const prev = this.last.get(name)!;
      this.last.delete(name);
      if (this.primed && prev !== 'down') {
        out.push({ link: name, from: prev, to: 'down', time: Math.round(wallNow / 1000), reason: 'removed' });
      }
    }
    this.primed = true;
    this.recent.push(...out);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    return out;
  }

  /** Recent events, newest first. */
  events(): LinkEvent[] {
    return [...this.recent].reverse();
  }
}
