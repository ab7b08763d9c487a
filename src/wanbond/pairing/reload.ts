/**
 * Tells a running daemon to re-read its config after pair/join edited it: first through the control socket's
 * `reload` method; failing that, SIGHUP to the process running `wanbond <role> -c <that file>` (found in /proc,
 * since the daemons write no pid file); otherwise the caller prints that a (re)start is needed.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { callUnixControl, DEFAULT_CONTROL_SOCKET, socketAnswers } from '../control/unix-socket.js';

export type ReloadOutcome =
  | { how: 'socket'; path: string; ok: boolean; error?: string }
  | { how: 'signal'; pid: number }
  /** The caller reloaded in-process (the daemon's own ubus method passes its reload to joinLine). */
  | { how: 'direct'; ok: boolean; error?: string }
  | { how: 'none'; reason: string }
  | { how: 'skipped' };

export interface ReloadOptions {
  /** Control socket to ask first (default /var/run/wanbond.sock). */
  socket?: string;
  /** /proc, replaceable for tests. */
  procDir?: string;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The config path a `wanbond ROLE -c FILE` command line names, or undefined when it is not such a command. */
function daemonConfigOf(argv: string[], role: string): string | undefined {
  const roleAt = argv.findIndex((a, i) => a === role && i > 0 && /wanbond(\.js)?$/.test(argv[i - 1]!));
  if (roleAt < 0) return undefined;
  for (let i = roleAt + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-c' || a === '--config') && argv[i + 1] !== undefined) return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}

/** Pids of processes running `wanbond ROLE -c FILE` for this config file. */
export function findDaemons(role: string, configPath: string, procDir = '/proc'): number[] {
  const want = safeRealpath(configPath);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`${procDir}/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const conf = daemonConfigOf(argv, role);
      if (conf === undefined) continue;
      const cwd = readlinkSync(`${procDir}/${entry}/cwd`);
      if (safeRealpath(resolve(cwd, conf)) === want) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Which daemon answers there: a lab or a test may run a router and a server on one file system. */
async function socketRole(socket: string): Promise<string | undefined> {
  try {
    const r = await callUnixControl(socket, 'status', {}, 2000);
    return (r.data as { role?: string } | undefined)?.role;
  } catch {
    return undefined;
  }
}

export async function reloadRunning(
  role: 'server' | 'router',
  configPath: string,
  opts: ReloadOptions = {},
): Promise<ReloadOutcome> {
  const socket = opts.socket ?? DEFAULT_CONTROL_SOCKET;
  if ((await socketAnswers(socket)) && (await socketRole(socket)) === role) {
    try {
      const r = await callUnixControl(socket, 'reload');
      const ok = r.status === 0 && (r.data as { ok?: unknown } | undefined)?.ok !== false;
      const error = r.error ?? ((r.data as { error?: unknown } | undefined)?.error as string | undefined);
      return { how: 'socket', path: socket, ok, ...(ok || error === undefined ? {} : { error }) };
    } catch (err) {
      return { how: 'socket', path: socket, ok: false, error: (err as Error).message };
    }
  }
  const pids = findDaemons(role, configPath, opts.procDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGHUP');
      return { how: 'signal', pid };
    } catch {
      // exited meanwhile: try the next one
    }
  }
  return { how: 'none', reason: `no running 'wanbond ${role} -c ${configPath}' found` };
}

/** One line for the user about what happened. */
export function describeReload(role: string, r: ReloadOutcome, startHint: string): string {
  switch (r.how) {
    case 'socket':
      return r.ok
        ? `reloaded the running ${role} (control socket ${r.path})`
        : `the running ${role} refused the reload: ${r.error ?? 'unknown error'} (it keeps its old config)`;
    case 'direct':
      return r.ok
        ? `reloaded the running ${role}`
        : `the running ${role} refused the reload: ${r.error ?? 'unknown error'} (it keeps its old config)`;
    case 'signal':
      return `sent SIGHUP to the running ${role} (pid ${r.pid}) to reload`;
    case 'none':
      return `${r.reason}: ${startHint}`;
    case 'skipped':
      return 'reload skipped';
  }
}
