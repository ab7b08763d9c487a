/**
 * TypeScript side of wanbond-linkemu (emu/*.c): finds or builds the binary, spawns one process per link and talks
 * to it in its line protocol (one command per line, one JSON answer per line).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DirectionCounters {
  mode: 'rate' | 'trace';
  rate_mbit: number;
  delay_ms: number;
  cut: boolean;
  in_pkts: number;
  in_bytes: number;
  out_pkts: number;
  out_bytes: number;
  drop: { queue: number; loss: number; burst: number; cut: number; error: number; nomem: number };
  queue_pkts: number;
  queue_bytes: number;
  inflight_pkts: number;
}

export interface EmulatorStats {
  t_ms: number;
  up: DirectionCounters;
  down: DirectionCounters;
}

const BINARY = 'wanbond-linkemu';

/**
 * The binary sits next to the bundle (dist/) once built; from a source checkout it is built on demand with make,
 * since gcc is part of every machine this runs on.
 */
export function findEmulatorBinary(): string {
  const env = process.env.WANBOND_LINKEMU;
  if (env) return env;
  const here = dirname(fileURLToPath(import.meta.url));
  const emuDirs = [join(here, 'emu'), join(here, '..', 'src', 'wanbond', 'lab', 'emu')];
  const candidates = [join(here, BINARY), ...emuDirs.map((d) => join(d, 'build', BINARY))];
  for (const emuDir of emuDirs) {
    if (existsSync(join(emuDir, 'Makefile'))) {
      // make is a no-op when the binary is fresh, and rebuilds it after a source change.
      execFileSync('make', ['-s', '-C', emuDir], { stdio: ['ignore', 'ignore', 'inherit'] });
      return join(emuDir, 'build', BINARY);
    }
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`${BINARY} not found (looked in ${candidates.join(', ')}); run make`);
  return found;
}

export interface EmulatorOptions {
  /** `NETNS:TUN` of the modem side (direction up = a -> b) and of the internet side. */
  a: string;
  b: string;
  commands: string[];
  schedule?: { atMs: number; command: string }[];
  seed?: number;
  /** Unix socket for commands from other processes (`wanbond lab cut ...`). */
  control?: string;
  /** Keep running after this process exits (`wanbond lab up`); otherwise it dies with us (stdin EOF). */
  detached?: boolean;
}

export function emulatorArgs(o: EmulatorOptions): string[] {
  const args = ['--a', o.a, '--b', o.b, '--seed', String(o.seed ?? 1)];
  if (o.control) args.push('--control', o.control);
  if (!o.detached) args.push('--stdin');
  for (const c of o.commands) args.push('-c', c);
  for (const s of o.schedule ?? []) args.push('--at', `${Math.round(s.atMs)}=${s.command}`);
  return args;
}

/** One running emulator process. */
export class LinkEmulator {
  private buffer = '';
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private exited = false;
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
  ) {}

  /** Starts the emulator and waits until it is attached to both TUN devices. */
  static async start(o: EmulatorOptions): Promise<LinkEmulator> {
    const bin = findEmulatorBinary();
    const child = spawn(bin, emulatorArgs(o), {
      stdio: [o.detached ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: o.detached ?? false,
    });
    const emu = new LinkEmulator(child, child.pid ?? -1);
    child.stderr?.on('data', (d: Buffer) => {
      emu.stderr += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => emu.onData(d.toString()));
    child.on('exit', () => {
      emu.exited = true;
      for (const w of emu.waiting.splice(0)) w.reject(new Error(`${BINARY} exited: ${emu.stderr.trim()}`));
    });
    child.on('error', (err) => {
      emu.exited = true;
      for (const w of emu.waiting.splice(0)) w.reject(err);
    });
    const ready = JSON.parse(await emu.nextLine()) as { ready?: boolean };
    if (!ready.ready) throw new Error(`${BINARY} did not start`);
    if (o.detached) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    }
    return emu;
  }

  private onData(text: string): void {
    this.buffer += text;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.waiting.shift()?.resolve(line);
    }
  }

  private nextLine(): Promise<string> {
    if (this.exited) return Promise.reject(new Error(`${BINARY} exited: ${this.stderr.trim()}`));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Sends one command; rejects with the emulator's error text when it refuses. */
  async command(line: string): Promise<Record<string, unknown>> {
    if (!this.child.stdin) throw new Error('detached emulator: use emulatorCommand(socket, ...)');
    const answer = this.nextLine();
    this.child.stdin.write(`${line}\n`);
    return checkAnswer(line, await answer);
  }

  async stats(): Promise<EmulatorStats> {
    return (await this.command('stats')) as unknown as EmulatorStats;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(timer);
  }
}

function checkAnswer(line: string, text: string): Record<string, unknown> {
  const answer = JSON.parse(text) as Record<string, unknown>;
  if (answer.ok !== true) throw new Error(`emulator refused '${line}': ${String(answer.error)}`);
  return answer;
}

/** Sends one command to a detached emulator over its unix socket. */
export function emulatorCommand(socket: string, line: string, timeoutMs = 3000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from ${socket}`));
    }, timeoutMs);
    conn.on('connect', () => conn.write(`${line}\n`));
    conn.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      try {
        resolve(checkAnswer(line, buf.slice(0, nl)));
      } catch (err) {
        reject(err);
      }
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the emulator at ${socket}: ${err.message}`));
    });
  });
}
