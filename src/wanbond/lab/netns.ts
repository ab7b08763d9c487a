import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Every namespace and interface we create starts with `wb` plus a per-run tag, so parallel test runs and labs
 * never collide and leftovers are easy to find and remove. Interface names are capped at 15 bytes by the kernel,
 * so the tag is short.
 */
export function uniquePrefix(base = 'wb'): string {
  return `${base}${randomBytes(3).toString('hex')}`;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a command and throws with its stderr when it fails, so set-up errors say what the kernel refused. */
export async function sh(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  try {
    const child = execFileAsync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    if (opts.input !== undefined) {
      child.child.stdin?.end(opts.input);
    }
    const { stdout } = await child;
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export function shSync(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `ip netns exec NS cmd args...` */
export function inNs(ns: string, cmd: string, args: string[]): Promise<string> {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

export async function addNamespace(name: string): Promise<void> {
  await sh('ip', ['netns', 'add', name]);
  await inNs(name, 'ip', ['link', 'set', 'lo', 'up']);
}

/** Deleting a namespace that is already gone is not an error: clean-up must be idempotent. */
export function deleteNamespaceSync(name: string): void {
  try {
    execFileSync('ip', ['netns', 'pids', name], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((pid) => {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

export function listNamespaces(prefix: string): string[] {
  return shSync('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Creates namespaces under one prefix and removes all of them on dispose, even after a failed test. */
export class NamespaceSet {
  readonly prefix: string;
  private readonly created: string[] = [];

  constructor(prefix = uniquePrefix()) {
    this.prefix = prefix;
  }

  async add(suffix: string): Promise<string> {
    const name = `${this.prefix}${suffix}`;
    await addNamespace(name);
    this.created.push(name);
    return name;
  }

  dispose(): void {
    for (const name of this.created.reverse()) deleteNamespaceSync(name);
    for (const name of listNamespaces(this.prefix)) deleteNamespaceSync(name);
    this.created.length = 0;
  }
}
