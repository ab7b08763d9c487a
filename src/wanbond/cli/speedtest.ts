import { statusText } from 'ubus-js';
import { callUnixControl, DEFAULT_CONTROL_SOCKET } from '../control/unix-socket.js';
import { DEFAULT_SECONDS, MAX_SECONDS, type SpeedtestJob } from '../speedtest/jobs.js';
import { type Command, parseOrExit } from './command.js';
import { EXIT_NOT_RUNNING } from './status.js';

const USAGE = `usage: wanbond speedtest [--link NAME] [--seconds N] [--json] [--socket PATH]

Asks the running router daemon to measure the tunnel: a TCP download, then upload, to the server's speed test
responder through the tunnel, N seconds each (default ${DEFAULT_SECONDS}, at most ${MAX_SECONDS}): first over each link
ALONE (the tunnel pinned to that link in both directions), then bonded over all links. The 'bond' row is the bonded
transfer; '% of sum' compares it with the links' own figures.

  --link NAME     measure only this link alone ('bond': only the bonded tunnel)
  --seconds N     length of each direction of each test
  --json          print the final speedtest_result reply as JSON
  --socket PATH   the router's control socket (default ${DEFAULT_CONTROL_SOCKET})`;

const POLL_MS = 500;

interface Options {
  link?: string;
  seconds: number;
  json: boolean;
  socket: string;
}

function parse(args: string[]): Options | string {
  const o: Options = { seconds: DEFAULT_SECONDS, json: false, socket: DEFAULT_CONTROL_SOCKET };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') {
      o.json = true;
      continue;
    }
    if (a !== '--link' && a !== '--seconds' && a !== '--socket') return `unknown argument '${a}'`;
    const v = args[++i];
    if (v === undefined || v.startsWith('--')) return `${a} needs a value`;
    if (a === '--link') o.link = v;
    else if (a === '--socket') o.socket = v;
    else {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > MAX_SECONDS) return `--seconds must be 1..${MAX_SECONDS}`;
      o.seconds = n;
    }
  }
  return o;
}

function fmtKbit(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} Mbit/s` : `${v} kbit/s`;
}

export function formatSpeedtest(job: SpeedtestJob): string {
  if (job.state === 'failed') return `speed test failed: ${job.error ?? 'unknown error'}\n`;
  const rows = [['LINK', 'DOWN', 'UP', 'RTT', 'LOSS']];
  for (const r of job.results) {
    rows.push([
      r.link === 'bond' ? 'bonded' : r.link,
      fmtKbit(r.down_kbit),
      fmtKbit(r.up_kbit),
      r.rtt_ms !== undefined ? `${r.rtt_ms} ms` : '-',
      r.error ?? (r.loss !== undefined ? `${(r.loss * 100).toFixed(1)}%` : '-'),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  const share = ofSum(job.results);
  if (share) lines.push(`bonded = ${share.down ?? '-'} % (down) / ${share.up ?? '-'} % (up) of the links' sum`);
  return `${lines.join('\n')}\n`;
}

/** The bonded row over the sum of the links measured alone, when a run has both and no link failed. */
export function ofSum(rows: SpeedtestJob['results']): { down?: number; up?: number } | undefined {
  const bond = rows.find((r) => r.link === 'bond');
  const links = rows.filter((r) => r.link !== 'bond');
  if (!bond || links.length === 0 || links.some((r) => r.error !== undefined)) return undefined;
  const pct = (field: 'down_kbit' | 'up_kbit') => {
    const sum = links.reduce((a, r) => a + (r[field] ?? 0), 0);
    const b = bond[field];
    return sum > 0 && b !== undefined ? Math.round((b / sum) * 100) : undefined;
  };
  const down = pct('down_kbit');
  const up = pct('up_kbit');
  if (down === undefined && up === undefined) return undefined;
  return { ...(down !== undefined ? { down } : {}), ...(up !== undefined ? { up } : {}) };
}

export const speedtest: Command = {
  name: 'speedtest',
  summary: 'measure each link and the bonded tunnel',
  usage: USAGE,
  async run(args, io) {
    const o = parseOrExit(speedtest, args, io, parse);
    if (typeof o === 'number') return o;
    let job: string;
    try {
      const r = await callUnixControl(o.socket, 'speedtest', {
        ...(o.link ? { link: o.link } : {}),
        seconds: o.seconds,
      });
      if (r.status !== 0 || typeof r.data?.job !== 'string') {
        io.stderr(`wanbond speedtest: ${r.error ?? statusText(r.status)} (status ${r.status})\n`);
        return 1;
      }
      job = r.data.job;
    } catch (err) {
      io.stderr(
        `wanbond speedtest: cannot reach ${o.socket}: ${(err as Error).message}\nIs the router daemon running?\n`,
      );
      return EXIT_NOT_RUNNING;
    }
    if (!o.json) io.stderr(`measuring each link alone, then bonded, ${o.seconds} s each way...\n`);
    // A run has one phase per link and direction: the deadline is per phase and moves on while the job advances
    // (a job queued behind another run waits through it the same way).
    const phaseMs = (2 * o.seconds + 30) * 1000;
    let deadline = Date.now() + phaseMs;
    let seen = '';
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      let reply: SpeedtestJob;
      try {
        const r = await callUnixControl(o.socket, 'speedtest_result', { job });
        if (r.status !== 0) {
          io.stderr(`wanbond speedtest: ${r.error ?? statusText(r.status)} (status ${r.status})\n`);
          return 1;
        }
        reply = r.data as unknown as SpeedtestJob;
      } catch (err) {
        io.stderr(`wanbond speedtest: the daemon went away: ${(err as Error).message}\n`);
        return 1;
      }
      const now = `${reply.state}/${reply.link}/${reply.phase}/${reply.progress}`;
      if (now !== seen) {
        seen = now;
        deadline = Date.now() + phaseMs;
      }
      if (reply.state === 'done' || reply.state === 'failed') {
        io.stdout(o.json ? `${JSON.stringify(reply, null, 2)}\n` : formatSpeedtest(reply));
        return reply.state === 'done' ? 0 : 1;
      }
      if (Date.now() > deadline) {
        io.stderr(`wanbond speedtest: job ${job} did not finish in time (state ${reply.state})\n`);
        return 1;
      }
    }
  },
};
