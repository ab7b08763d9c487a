/**
 * The real wanbond daemons inside the lab: UCI config files for both ends, `wanbond server` in the VPS namespace,
 * `wanbond router` in the router namespace, and their CPU time from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { generatePrivateKey, publicKeyOf } from '../engine/keys.js';
import { LAN_HOST, TUNNEL_ROUTER, TUNNEL_SERVER } from './addressing.js';
import type { LabInfo } from './lab.js';
import { runPing } from './ping.js';

export const TUNNEL_PORT = 5555;

/** The bundle to run: this very script when we are the bundle, else dist/wanbond.js given by the caller. */
export function defaultScript(): string {
  return process.argv[1] ?? 'dist/wanbond.js';
}

/**
 * Copies the bundle and its addon to a private directory and returns the copy's script. A rebuild of dist/ while the
 * daemons run (other work on the same checkout) rewrites tuntap2.node in place, which kills every process that has
 * it loaded; running from a snapshot keeps a measurement alive and on one consistent version.
 */
export function snapshotBundle(script: string): { script: string; dispose: () => void } {
  const from = dirname(script);
  const dir = mkdtempSync(join(tmpdir(), 'wanbond-lab-bin-'));
  for (const f of [basename(script), 'package.json', 'tuntap2.node']) {
    if (existsSync(join(from, f))) copyFileSync(join(from, f), join(dir, f));
  }
  return { script: join(dir, basename(script)), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The daemons exist once `wanbond router` stops answering "not implemented" (the stub's exit). */
export function daemonsImplemented(script: string): Promise<boolean> {
  const probe = (name: string) =>
    new Promise<boolean>((resolve) => {
      const child = spawn(process.execPath, [script, name, '-c', '/nonexistent/wanbond-lab-probe'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(!/not implemented/i.test(out));
      });
      child.on('error', () => resolve(false));
    });
  return Promise.all([probe('router'), probe('server')]).then(([r, s]) => r && s);
}

export interface Keys {
  routerPrivate: string;
  routerPublic: string;
  serverPrivate: string;
  serverPublic: string;
}

export function makeKeys(): Keys {
  const routerPrivate = generatePrivateKey();
  const serverPrivate = generatePrivateKey();
  return {
    routerPrivate,
    routerPublic: publicKeyOf(routerPrivate),
    serverPrivate,
    serverPublic: publicKeyOf(serverPrivate),
  };
}

export function routerConfig(info: LabInfo, keys: Keys, mode = 'bond'): string {
  const links = info.links
    .map((l) => `config link '${l.name}'\n\toption device '${l.device}'\n\toption source '${l.source}'\n`)
    .join('\n');
  return `config wanbond 'main'
\toption enabled '1'
\toption server '${info.vps.publicAddress}'
\toption port '${TUNNEL_PORT}'
\toption private_key '${keys.routerPrivate}'
\toption server_key '${keys.serverPublic}'
\toption mode '${mode}'
\toption address '${TUNNEL_ROUTER}/24'

${links}`;
}

export function serverConfig(info: LabInfo, keys: Keys): string {
  const lan = LAN_HOST.replace(/\.\d+$/, '.0/24');
  return `config server 'main'
\toption listen '0.0.0.0'
\toption port '${TUNNEL_PORT}'
\toption private_key '${keys.serverPrivate}'
\toption address '${TUNNEL_SERVER}/24'
\toption masquerade '1'
\toption wan_device '${info.vps.device}'

config client 'lab'
\toption public_key '${keys.routerPublic}'
\toption address '${TUNNEL_ROUTER}'
\tlist route '${lan}'
`;
}

/** utime + stime of a process, in seconds (Linux USER_HZ is 100). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export class Daemons {
  private constructor(
    readonly server: ChildProcess,
    readonly router: ChildProcess,
    readonly logDir: string,
  ) {}

  /** Writes both configs into `dir`, starts both daemons (logs in dir/*.log) and waits for the tunnel. */
  static async start(info: LabInfo, script: string, dir: string, mode = 'bond'): Promise<Daemons> {
    const keys = makeKeys();
    const serverFile = join(dir, 'server.conf');
    const routerFile = join(dir, 'router.conf');
    writeFileSync(serverFile, serverConfig(info, keys), { mode: 0o600 });
    writeFileSync(routerFile, routerConfig(info, keys, mode), { mode: 0o600 });
    const start = (ns: string, what: string, file: string) => {
      const log = openSync(join(dir, `${what}.log`), 'w');
      // `ip netns exec` execs the command, so the pid we get is the daemon's own.
      // Each daemon gets its own control socket: the lab shares the host's /var/run across namespaces.
      const control = join(dir, `${what}.sock`);
      const args = ['netns', 'exec', ns, process.execPath, script, what, '-c', file, '--control-socket', control];
      const child = spawn('ip', args, {
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      return child;
    };
    const server = start(info.vps.ns, 'server', serverFile);
    const router = start(info.router.ns, 'router', routerFile);
    const d = new Daemons(server, router, dir);
    for (let i = 0; i < 30; i++) {
      if (server.exitCode !== null || router.exitCode !== null) break;
      const ping = await runPing(info.router.ns, TUNNEL_SERVER, 1, { intervalS: 0.2 });
      if (ping.samples.length > 0) return d;
    }
    await d.stop();
    throw new Error(
      `the tunnel did not come up within 30 s; see ${dir}/router.log and ${dir}/server.log:\n${d.logTail()}`,
    );
  }

  logTail(): string {
    const tail = (f: string) => {
      try {
        return readFileSync(join(this.logDir, f), 'utf8').trim().split('\n').slice(-5).join('\n');
      } catch {
        return '';
      }
    };
    return `--- router.log\n${tail('router.log')}\n--- server.log\n${tail('server.log')}`;
  }

  /** Why a daemon is no longer running, if it is not: 'router exited with code 1', 'server killed by SIGKILL'. */
  deaths(): string[] {
    const out: string[] = [];
    for (const [name, c] of [
      ['router', this.router],
      ['server', this.server],
    ] as const) {
      if (c.signalCode !== null) out.push(`${name} killed by ${c.signalCode}`);
      else if (c.exitCode !== null) out.push(`${name} exited with code ${c.exitCode}`);
    }
    return out;
  }

  cpu(): { router?: number; server?: number } {
    const out: { router?: number; server?: number } = {};
    const r = this.router.pid ? cpuSeconds(this.router.pid) : undefined;
    const s = this.server.pid ? cpuSeconds(this.server.pid) : undefined;
    if (r !== undefined) out.router = r;
    if (s !== undefined) out.server = s;
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.router, this.server].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  }
}
