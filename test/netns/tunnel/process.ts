import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** A process running inside a namespace, with its output kept line by line for assertions. */
export class NsProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  /** Names the process in failure messages when a test runs several. */
  readonly label: string;
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(ns: string, cmd: string, args: string[], opts: { stdin?: boolean; label?: string } = {}) {
    this.label = opts.label ?? args.find((a) => a === 'router' || a === 'server') ?? cmd;
    const stdin = opts.stdin ? 'pipe' : 'ignore';
    this.child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  output(): string {
    return this.lines.join('\n');
  }

  /** The first line matching from line index `from` on, searching what was already printed too. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.slice(from).find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (!this.running) {
        throw new Error(`${this.label} exited (${this.exitCode}) before ${pattern}:\n${this.output()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits for the process to end by itself; SIGKILL (and -1) after the timeout. */
  async exit(timeoutMs = 5_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** One line to the process's stdin (only when started with `stdin: true`). */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Sends `sig` and waits for the exit; SIGKILL after the timeout so a test never hangs on a stuck child. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill(sig);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export function startDaemon(
  bundle: string,
  ns: string,
  role: 'router' | 'server',
  config: string,
  extra: string[] = [],
): NsProcess {
  return new NsProcess(ns, process.execPath, [bundle, role, '-c', config, ...extra], { stdin: true });
}
