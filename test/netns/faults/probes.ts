import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessReply } from '../../../src/wanbond/control/process-stats.js';
import { callUnixControl } from '../../../src/wanbond/control/unix-socket.js';
import { inNs } from '../../../src/wanbond/lab/netns.js';
import { NsProcess } from '../tunnel/process.js';

/** Open file descriptors of a process (sockets, TUN, timers' eventfds...). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The daemon's own view of its resources: the `process` section of its `status` reply. */
export async function processOf(controlSocket: string): Promise<ProcessReply> {
  const r = await callUnixControl(controlSocket, 'status');
  const p = (r.data as { process?: ProcessReply } | undefined)?.process;
  if (!p) throw new Error(`no process section in the status of ${controlSocket} (status ${r.status} ${r.error ?? ''})`);
  return p;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) / 1024;
}

/**
 * Pings every `intervalMs` for `count` probes and returns, for each probe, whether it was answered. The longest run
 * of unanswered probes times the interval is the outage the user saw.
 */
export class PingTrace {
  private readonly p: NsProcess;
  constructor(
    ns: string,
    target: string,
    readonly count: number,
    readonly intervalMs = 100,
  ) {
    this.p = new NsProcess(ns, 'ping', ['-n', '-c', String(count), '-i', String(intervalMs / 1000), '-W', '1', target]);
  }

  /** Waits for the last probe, then returns the answered sequence numbers' flags (index = icmp_seq - 1). */
  async result(): Promise<boolean[]> {
    const deadline = Date.now() + this.count * this.intervalMs + 5000;
    while (this.p.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.p.stop('SIGKILL', 1000);
    const ok = new Array<boolean>(this.count).fill(false);
    for (const line of this.p.lines) {
      const m = /icmp_seq=(\d+) ttl/.exec(line);
      if (m) ok[Number(m[1]) - 1] = true;
    }
    return ok;
  }

  stop(): Promise<number | null> {
    return this.p.stop('SIGKILL', 1000);
  }
}

/** Longest run of unanswered probes, in ms. */
export function longestGapMs(ok: boolean[], intervalMs: number): number {
  let run = 0;
  let best = 0;
  for (const o of ok) {
    run = o ? 0 : run + 1;
    best = Math.max(best, run);
  }
  return best * intervalMs;
}

/** Index of the first answered probe at or after `from`, -1 when none. */
export function firstAnswerFrom(ok: boolean[], from: number): number {
  for (let i = Math.max(0, from); i < ok.length; i++) if (ok[i]) return i;
  return -1;
}

export async function pingOnce(ns: string, target: string): Promise<boolean> {
  try {
    await inNs(ns, 'ping', ['-n', '-c', '1', '-W', '1', target]);
    return true;
  } catch {
    return false;
  }
}
