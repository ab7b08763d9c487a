import { existsSync } from 'node:fs';
import { defaultSocketPath, STATUS, statusText, UbusClient } from 'ubus-js';
import { formatStatusTable } from '../control/status-table.js';
import { UBUS_OBJECT_NAME } from '../control/ubus-object.js';
import { callUnixControl, DEFAULT_CONTROL_SOCKET } from '../control/unix-socket.js';
import { type Command, parseOrExit } from './command.js';

const USAGE = `usage: wanbond status [--json] [--socket PATH] [--ubus-socket PATH]

Shows the running daemon's session and links: a table by default, the raw reply with --json.
It asks the daemon's control socket (${DEFAULT_CONTROL_SOCKET}), or the ubus object 'wanbond' when that socket
is absent.

  --json              print the status reply as JSON
  --socket PATH       control socket to ask (only it)
  --ubus-socket PATH  ask ubus on this socket (only it)`;

/** Exit code when no daemon answers (distinct from usage errors). */
export const EXIT_NOT_RUNNING = 3;

interface Options {
  json: boolean;
  socket?: string;
  ubusSocket?: string;
}

function parse(args: string[]): Options | string {
  const o: Options = { json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--socket' || a === '--ubus-socket') {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return `${a} needs a path`;
      if (a === '--socket') o.socket = v;
      else o.ubusSocket = v;
    } else return `unknown argument '${a}'`;
  }
  return o;
}

type Fetched = { ok: true; data: Record<string, unknown> } | { ok: false; notRunning: boolean; error: string };

async function viaUnix(path: string): Promise<Fetched> {
  try {
    const r = await callUnixControl(path, 'status');
    if (r.status !== 0)
      return { ok: false, notRunning: false, error: `${r.error ?? statusText(r.status)} (status ${r.status})` };
    return { ok: true, data: r.data ?? {} };
  } catch (err) {
    return { ok: false, notRunning: true, error: `cannot reach ${path}: ${(err as Error).message}` };
  }
}

async function viaUbus(path: string): Promise<Fetched> {
  let client: UbusClient;
  try {
    client = await UbusClient.connect({ socket: path, reconnect: false, timeoutMs: 5000 });
  } catch (err) {
    return { ok: false, notRunning: true, error: (err as Error).message };
  }
  try {
    const r = await client.call(UBUS_OBJECT_NAME, 'status');
    if (r.status === STATUS.NOT_FOUND) {
      return { ok: false, notRunning: true, error: `no ubus object '${UBUS_OBJECT_NAME}' on ${path}` };
    }
    if (r.status !== 0) return { ok: false, notRunning: false, error: `${statusText(r.status)} (status ${r.status})` };
    return { ok: true, data: r.data ?? {} };
  } finally {
    client.close();
  }
}

export const status: Command = {
  name: 'status',
  summary: 'show the running daemon links and session',
  usage: USAGE,
  async run(args, io) {
    const o = parseOrExit(status, args, io, parse);
    if (typeof o === 'number') return o;
    let got: Fetched;
    if (o.socket) got = await viaUnix(o.socket);
    else if (o.ubusSocket) got = await viaUbus(o.ubusSocket);
    else {
      got = { ok: false, notRunning: true, error: `no ${DEFAULT_CONTROL_SOCKET} and no ubus` };
      if (existsSync(DEFAULT_CONTROL_SOCKET)) got = await viaUnix(DEFAULT_CONTROL_SOCKET);
      const ubus = defaultSocketPath();
      if (!got.ok && got.notRunning && existsSync(ubus)) got = await viaUbus(ubus);
    }
    if (!got.ok) {
      io.stderr(
        `wanbond status: ${got.error}${got.notRunning ? '\nIs the daemon running? (wanbond router|server, or /etc/init.d/wanbond start)' : ''}\n`,
      );
      return got.notRunning ? EXIT_NOT_RUNNING : 1;
    }
    if (o.json) {
      io.stdout(`${JSON.stringify(got.data, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
    } else {
      io.stdout(formatStatusTable(got.data, Math.round(Date.now() / 1000)));
    }
    return 0;
  },
};
