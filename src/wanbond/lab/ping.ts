/** RTT samples with ping inside a lab namespace. */
import { spawn } from 'node:child_process';

export interface PingResult {
  samples: number[];
  sent: number;
  p50?: number;
  p95?: number;
  min?: number;
}

export function percentile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

/** Pings every `intervalS` for `seconds`; optionally from a source address (to pick the WAN). Never throws. */
export function runPing(
  ns: string,
  host: string,
  seconds: number,
  opts: { source?: string; intervalS?: number; count?: number } = {},
) {
  const interval = opts.intervalS ?? 0.1;
  const args = ['netns', 'exec', ns, 'ping', '-n', '-i', String(interval), '-w', String(seconds), '-W', '2'];
  if (opts.count) args.push('-c', String(opts.count));
  if (opts.source) args.push('-I', opts.source);
  args.push(host);
  return new Promise<PingResult>((resolve) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 5) * 1000);
    child.on('close', () => {
      clearTimeout(killer);
      const samples = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
      const sent = Number(/(\d+) packets transmitted/.exec(out)?.[1] ?? samples.length);
      const sorted = [...samples].sort((a, b) => a - b);
      const result: PingResult = { samples, sent };
      const p50 = percentile(sorted, 0.5);
      const p95 = percentile(sorted, 0.95);
      if (p50 !== undefined) result.p50 = p50;
      if (p95 !== undefined) result.p95 = p95;
      if (sorted.length) result.min = sorted[0]!;
      resolve(result);
    });
  });
}
