import { readFile, writeFile } from 'node:fs/promises';

const KNOBS = { 4: '/proc/sys/net/ipv4/ip_forward', 6: '/proc/sys/net/ipv6/conf/all/forwarding' } as const;

/**
 * Turns IP forwarding on and remembers what it was, so stop() puts back exactly what the admin had: a VPS that
 * forwarded before we came keeps forwarding after we leave, one that did not goes back to not forwarding.
 */
export class ForwardingSwitch {
  private readonly changed = new Set<4 | 6>();

  async enable(family: 4 | 6): Promise<boolean> {
    const path = KNOBS[family];
    const before = (await readFile(path, 'utf8')).trim();
    if (before === '1') return false;
    await writeFile(path, '1\n');
    this.changed.add(family);
    return true;
  }

  /** Returns the families it switched back off. */
  async restore(): Promise<Array<4 | 6>> {
    const done: Array<4 | 6> = [];
    for (const family of this.changed) {
      try {
        await writeFile(KNOBS[family], '0\n');
        done.push(family);
      } catch {
        // the namespace may be gone already; nothing left to restore
      }
    }
    this.changed.clear();
    return done;
  }
}
