import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Signals are process-wide, so runDaemon runs in a child process of its own: a tiny harness bundled with esbuild
// around the real run-daemon.ts, with a daemon that only logs what is asked of it.
const HARNESS = `
import { runDaemon } from './src/wanbond/io/run-daemon.ts';
const say = (t) => process.stdout.write(t + '\\n');
const log = { debug: say, info: say, warn: say, error: say };
const startMs = Number(process.argv[2]);
const fail = process.argv[3] === 'fail';
const fatal = process.argv[3] === 'fatal';
// A real daemon's sockets keep the process alive; this one has a timer for that.
const alive = setInterval(() => {}, 1000);
const daemon = {
  async reload() { say('reload'); return { ok: true }; },
  async stop() { await new Promise((r) => setTimeout(r, 50)); clearInterval(alive); say('stopped'); },
};
say('ready');
runDaemon(
  async (die) => {
    await new Promise((r) => setTimeout(r, startMs));
    if (fail) throw new Error('no');
    say('started');
    if (fatal) setTimeout(() => { die(new Error('tun gone')); die(new Error('again')); }, 50);
    return daemon;
  },
  log,
  (err) => { clearInterval(alive); say('start failed: ' + err.message); return 3; },
  { started: () => say('hook started'), stopping: () => say('hook stopping') },
).then((code) => { say('exit ' + code); process.exitCode = code; });
`;

const dir = mkdtempSync(join(tmpdir(), 'wbrun-'));
const script = join(dir, 'harness.cjs');
beforeAll(async () => {
  await build({
    stdin: { contents: HARNESS, resolveDir: join(import.meta.dirname, '..', '..', '..'), loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: script,
    logLevel: 'silent',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(startMs: number, mode = ''): { child: ChildProcess; lines: string[]; done: Promise<number | null> } {
  const child = spawn(process.execPath, [script, String(startMs), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, done };
}

async function until(lines: string[], line: string): Promise<void> {
  for (let i = 0; i < 200 && !lines.includes(line); i++) await new Promise((r) => setTimeout(r, 10));
  expect(lines).toContain(line);
}

describe('daemon signal handling', () => {
  it('a fatal fault after start stops the daemon cleanly and exits 1 (procd/systemd respawn it)', async () => {
    const p = run(0, 'fatal');
    expect(await p.done).toBe(1);
    expect(p.lines.slice(-5)).toEqual([
      'hook started',
      'fatal: tun gone; stopping',
      'hook stopping',
      'stopped',
      'exit 1',
    ]);
    expect(p.lines.filter((l) => l.startsWith('fatal:'))).toHaveLength(1);
  });

  it('reloads on SIGHUP and stops cleanly on SIGTERM, exit 0', async () => {
    const p = run(0);
    await until(p.lines, 'hook started');
    p.child.kill('SIGHUP');
    await until(p.lines, 'reload');
    p.child.kill('SIGTERM');
    expect(await p.done).toBe(0);
    expect(p.lines.slice(-4)).toEqual(['SIGTERM: stopping', 'hook stopping', 'stopped', 'exit 0']);
  });

  it('a SIGTERM during start-up waits for the start, then stops what it set up', async () => {
    const p = run(300);
    await until(p.lines, 'ready');
    p.child.kill('SIGTERM');
    expect(await p.done).toBe(0);
    expect(p.lines).toEqual([
      'ready',
      'SIGTERM: stopping',
      'started',
      'hook started',
      'hook stopping',
      'stopped',
      'exit 0',
    ]);
  });

  it('a failed start exits with the code onStartError gives', async () => {
    const p = run(0, 'fail');
    expect(await p.done).toBe(3);
    expect(p.lines).toEqual(['ready', 'start failed: no', 'exit 3']);
  });
});
