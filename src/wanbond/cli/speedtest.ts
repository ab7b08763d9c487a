import { statusText } from 'ubus-js';
import { callUnixControl, DEFAULT_CONTROL_SOCKET } from '../control/unix-socket.js';
import { DEFAULT_SECONDS, MAX_SECONDS, type SpeedtestJob } from '../speedtest/jobs.js';
import { type Command, parseOrExit } from './command.js';
import { EXIT_NOT_RUNNING } from './status.js';

const USAGE = `usage: wanbond speedtest [--link NAME] [--seconds N] [--json] [--socket PATH]

Asks the running router daemon to measure the tunnel: a bonded TCP download, then upload, to the server's speed
test responder through the tunnel, N seconds each (default ${DEFAULT_SECONDS}, at most ${MAX_SECONDS}). Each link's
row is what that link carried during the test, the 'bond' row what the transfer got through the tunnel.

  --link NAME     report only this link (the test itself always runs over the bonded tunnel)
  --seconds N     length of each direction
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
  return `${lines.join('\n')}\n`;
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
    if (!o.json) io.stderr(`measuring ${o.seconds} s down, then ${o.seconds} s up...\n`);
    // Queued behind another run at most once: two full runs plus slack.
    const deadline = Date.now() + (4 * o.seconds + 30) * 1000;
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
