import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const BUNDLE = join(ROOT, 'dist', 'wanbond.js');

/** A process in a namespace whose output is kept line by line, for waiting on log lines and for failure reports. */
export class NsProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    ns: string,
    args: string[],
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

  /** The first line matching from line index `from` on (already printed or yet to come). */
  async waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.slice(from).find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (!this.running)
        throw new Error(`${this.label} exited (${this.exitCode}) before ${pattern}:\n${this.output()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM (the daemons clean up on it), SIGKILL after the timeout so a test never hangs. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
