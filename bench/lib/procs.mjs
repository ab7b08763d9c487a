// Shell and process helpers the namespace benchmarks share: commands in namespaces, long-running children whose
// output is kept for waiting on log lines, and one place that kills them all on the way out.

import { execFileSync, spawn } from 'node:child_process';

export const sh = (cmd, a, input) =>
  execFileSync(cmd, a, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
export const ns = (n, cmd, a, input) => sh('ip', ['netns', 'exec', n, cmd, ...a], input);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Children started in namespaces: `child.out` collects stdout+stderr, `child.exited` resolves {code, signal}. */
export class NsChildren {
  list = [];

  spawn(n, cmd, a) {
    const child = spawn('ip', ['netns', 'exec', n, cmd, ...a], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.out = '';
    child.stdout.on('data', (d) => {
      child.out += d;
    });
    child.stderr.on('data', (d) => {
      child.out += d;
    });
    child.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    this.list.push(child);
    return child;
  }

  killAll() {
    for (const c of this.list) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export async function waitFor(child, re, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!re.test(child.out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before ${re}:\n${child.out}`);
    if (Date.now() > deadline) throw new Error(`no ${re} within ${ms} ms:\n${child.out}`);
    await sleep(50);
  }
}

/** Kills whatever still runs in the namespaces and deletes them; errors are ignored (a half-built run). */
export function removeNamespaces(names) {
  for (const n of names) {
    try {
      for (const pid of sh('ip', ['netns', 'pids', n]).split('\n').filter(Boolean))
        process.kill(Number(pid), 'SIGKILL');
    } catch {}
    try {
      sh('ip', ['netns', 'del', n]);
    } catch {}
  }
}
