import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveUnixControl } from '../../../src/wanbond/control/unix-socket.js';
import { describeReload, reloadRunning } from '../../../src/wanbond/pairing/reload.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wbreload-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function daemon(role: string, reply: Record<string, unknown>) {
  const calls: string[] = [];
  const socket = join(dir, 'wanbond.sock');
  const server = await serveUnixControl(
    socket,
    {
      status: { params: {}, call: async () => ({ role }) },
      reload: {
        params: {},
        call: async () => {
          calls.push('reload');
          return reply;
        },
      },
    },
    { secrets: () => [] },
  );
  return { socket, server, calls };
}

describe('reloading the running daemon', () => {
  it('asks the control socket of a daemon of the right role', async () => {
    const d = await daemon('server', { ok: true });
    try {
      const r = await reloadRunning('server', join(dir, 'server'), { socket: d.socket, procDir: join(dir, 'proc') });
      expect(r).toEqual({ how: 'socket', path: d.socket, ok: true });
      expect(d.calls).toEqual(['reload']);
      expect(describeReload('server', r, 'x')).toBe(`reloaded the running server (control socket ${d.socket})`);
    } finally {
      await d.server.close();
    }
  });

  it('reports a refused reload with the daemon error', async () => {
    const d = await daemon('router', { ok: false, error: 'bad route' });
    try {
      const r = await reloadRunning('router', join(dir, 'wanbond'), { socket: d.socket });
      expect(r).toEqual({ how: 'socket', path: d.socket, ok: false, error: 'bad route' });
      expect(describeReload('router', r, 'x')).toBe(
        'the running router refused the reload: bad route (it keeps its old config)',
      );
    } finally {
      await d.server.close();
    }
  });

  it('leaves a daemon of the other role alone, and says when nothing runs', async () => {
    const d = await daemon('router', { ok: true });
    try {
      const file = join(dir, 'server');
      const r = await reloadRunning('server', file, { socket: d.socket, procDir: join(dir, 'proc') });
      expect(d.calls).toEqual([]);
      expect(r).toEqual({ how: 'none', reason: `no running 'wanbond server -c ${file}' found` });
      expect(describeReload('server', r, 'start it')).toBe(`no running 'wanbond server -c ${file}' found: start it`);
    } finally {
      await d.server.close();
    }
  });
});
