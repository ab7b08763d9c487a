/** iperf3 runs inside lab namespaces, parsed from its JSON output. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface IperfPoint {
  /** Seconds since the start of the test (end of the interval). */
  t: number;
  mbit: number;
}

export interface IperfResult {
  ok: boolean;
  error?: string;
  /** Receiver-side mean over the test, Mbit/s of TCP payload. */
  mbit: number;
  /** Receiver-side intervals when available (the server's for uploads), else the client's. */
  intervals: IperfPoint[];
  retransmits?: number;
  /** Sender-side smoothed RTT from TCP_INFO, ms (uploads only). */
  meanRttMs?: number;
}

export interface IperfRun {
  clientNs: string;
  serverNs: string;
  /** Address the server is reached at. */
  host: string;
  /** Source address to bind the client to (selects the WAN by policy routing). */
  bind?: string;
  port: number;
  seconds: number;
  reverse?: boolean;
  parallel?: number;
  intervalS?: number;
  /** Wrap both ends in `mptcpize run` (Linux MPTCP reference). */
  mptcp?: boolean;
  /** Called once the client runs, e.g. to cut a link at some second. */
  onStart?: () => void;
}

function wrap(ns: string, mptcp: boolean | undefined, args: string[]): string[] {
  return ['netns', 'exec', ns, ...(mptcp ? ['mptcpize', 'run'] : []), 'iperf3', ...args];
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`iperf3 server did not start: ${seen.trim()}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`iperf3 server exited: ${seen.trim()}`));
    });
  });
}

function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

interface IperfJson {
  error?: string;
  intervals?: { sum: { end: number; bits_per_second: number } }[];
  end?: {
    sum_received?: { bits_per_second: number };
    sum_sent?: { retransmits?: number };
    streams?: { sender?: { mean_rtt?: number } }[];
  };
  server_output_json?: IperfJson;
}

function points(j: IperfJson | undefined): IperfPoint[] {
  return (j?.intervals ?? []).map((i) => ({ t: i.sum.end, mbit: i.sum.bits_per_second / 1e6 }));
}

/** Runs one iperf3 test (a one-off server plus a client) and never throws: failures come back as ok=false. */
export async function runIperf(r: IperfRun): Promise<IperfResult> {
  const server = spawn('ip', wrap(r.serverNs, r.mptcp, ['-s', '-1', '--forceflush', '-p', String(r.port)]), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serverDone = collect(server);
  try {
    await waitForOutput(server, 'Server listening', 5000);
  } catch (err) {
    server.kill('SIGKILL');
    return { ok: false, error: (err as Error).message, mbit: 0, intervals: [] };
  }
  const args = ['-c', r.host, '-p', String(r.port), '-t', String(r.seconds), '-J', '-i', String(r.intervalS ?? 0.5)];
  // Small reads: iperf3 counts bytes per read() (128 KB by default), which quantizes short intervals badly.
  args.push('--connect-timeout', '5000', '-l', '16K');
  if (r.bind) args.push('-B', r.bind);
  if (r.reverse) args.push('-R');
  else args.push('--get-server-output');
  if (r.parallel && r.parallel > 1) args.push('-P', String(r.parallel));
  const client = spawn('ip', wrap(r.clientNs, r.mptcp, args), { stdio: ['ignore', 'pipe', 'pipe'] });
  const clientDone = collect(client);
  const killer = setTimeout(() => client.kill('SIGKILL'), (r.seconds + 20) * 1000);
  r.onStart?.();
  const { out, err } = await clientDone;
  clearTimeout(killer);
  const serverTimer = setTimeout(() => server.kill('SIGKILL'), 3000);
  await serverDone;
  clearTimeout(serverTimer);
  let j: IperfJson;
  try {
    j = JSON.parse(out) as IperfJson;
  } catch {
    return { ok: false, error: `iperf3 gave no JSON: ${err.trim() || out.slice(0, 200)}`, mbit: 0, intervals: [] };
  }
  const receiverIntervals = r.reverse ? points(j) : points(j.server_output_json);
  const result: IperfResult = {
    ok: !j.error,
    mbit: (j.end?.sum_received?.bits_per_second ?? 0) / 1e6,
    intervals: receiverIntervals.length ? receiverIntervals : points(j),
  };
  if (j.error) result.error = j.error;
  if (j.end?.sum_sent?.retransmits !== undefined) result.retransmits = j.end.sum_sent.retransmits;
  const rtts = (j.end?.streams ?? []).map((s) => s.sender?.mean_rtt).filter((v): v is number => v !== undefined);
  if (!r.reverse && rtts.length) result.meanRttMs = rtts.reduce((a, b) => a + b, 0) / rtts.length / 1000;
  return result;
}

/** Longest run of intervals that delivered (almost) nothing, starting at or after `fromS`; seconds. */
export function longestGap(intervals: IperfPoint[], fromS: number, intervalS: number): number {
  let longest = 0;
  let run = 0;
  for (const p of intervals) {
    if (p.t <= fromS) continue;
    if (p.mbit < 0.05) run += intervalS;
    else run = 0;
    longest = Math.max(longest, run);
  }
  return longest;
}
