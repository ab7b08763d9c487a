/**
 * The control API served for real: the ubus object `wanbond` on a broker (the in-test FAKE ubusd, and a REAL
 * ubusd when $UBUSD names one) and JSON over a unix socket; `wanbond status` reading both.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS, UbusClient } from '../../../src/ubus-js/src/index.js';
import { EXIT_NOT_RUNNING, status as statusCommand } from '../../../src/wanbond/cli/status.js';
import {
  buildStatus,
  CONTROL_STATUS,
  ControlError,
  type ControlProvider,
  ControlServer,
  callUnixControl,
  LinkEventTracker,
} from '../../../src/wanbond/control/index.js';
import { type Broker, REAL_UBUSD, startFakeUbusd, startRealUbusd } from '../ubus-js/brokers.js';

const SECRET = 'cHJpdmF0ZS1rZXktbWF0ZXJpYWwtMTIzNDU2Nzg5MDEyMw==';

function provider(): ControlProvider & { reloads: number } {
  const p = {
    reloads: 0,
    status: () =>
      buildStatus({
        stats: {
          state: 'established',
          establishedAt: 0,
          paths: [
            {
              pathId: 0,
              name: 'wan1',
              state: 'up',
              rttMs: 20,
              loss: 0,
              capacityUpKbit: 1000,
              capacityDownKbit: 2000,
              txBytes: 1,
              rxBytes: 2,
              txPackets: 1,
              rxPackets: 1,
              share: 1,
              lastChange: 0,
            },
          ],
          reorderDepth: 0,
          resentPackets: 0,
          duplicatePackets: 0,
          txBytes: 1,
          rxBytes: 2,
        },
        links: [{ name: 'wan1', interface: 'wan1', enabled: true, backup: false }],
        server: 'vps.example.net',
        port: 5555,
        mode: 'bond',
        now: 10_000,
        wallNow: Date.now(),
      }),
    links: () => [],
    policies: () => [{ name: 'stream', mode: 'redundant', use_links: ['wan1'] }],
    reload: async () => {
      p.reloads++;
      return p.reloads === 1 ? { ok: true } : { ok: false, error: 'line 3: bad option' };
    },
    speedtest: ({ link }: { link?: string }) => {
      if (link !== undefined && link !== 'wan1') throw new ControlError('NOT_FOUND', `no link '${link}'`);
      return { job: `job-${link ?? 'all'}` };
    },
    speedtestResult: (job?: string) => {
      if (job === 'boom') throw new Error('bug');
      return { job: job ?? 'latest', state: 'done', results: [] };
    },
    secrets: () => [SECRET],
    extraMethods: {
      leak: { handler: () => ({ private_key: SECRET, note: `oops ${SECRET}` }) },
    },
  };
  return p;
}

const suites: [string, () => Promise<Broker>, boolean][] = [
  ['in-test FAKE ubusd', startFakeUbusd, false],
  ['REAL ubusd from $UBUSD', startRealUbusd, !REAL_UBUSD],
];

for (const [label, start, skip] of suites) {
  describe.skipIf(skip)(`control server (${label} + unix socket)`, () => {
    let broker: Broker;
    let dir: string;
    let server: ControlServer;
    let client: UbusClient;
    const tracker = new LinkEventTracker();
    const p = provider();

    beforeAll(async () => {
      broker = await start();
      dir = mkdtempSync(join(tmpdir(), 'wbctl-'));
      server = await ControlServer.start({
        provider: p,
        unixSocket: join(dir, 'wanbond.sock'),
        ubus: 'required',
        ubusSocket: broker.socket,
        events: () => tracker.events(),
      });
      client = await UbusClient.connect({ socket: broker.socket, timeoutMs: 2000 });
    });
    afterAll(async () => {
      client.close();
      await server.close();
      expect(existsSync(join(dir, 'wanbond.sock'))).toBe(false);
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('registers `wanbond` with the documented methods and signature', async () => {
      const [info] = await client.lookup('wanbond');
      expect(Object.keys(info!.signature).sort()).toEqual(
        ['events', 'leak', 'links', 'policies', 'reload', 'speedtest', 'speedtest_result', 'status'].sort(),
      );
      expect(info!.signature.speedtest).toEqual({ link: 3 });
    });

    it('status over ubus: the documented shape, fractions as DOUBLE on the wire', async () => {
      const r = await client.call('wanbond', 'status', { ubus_rpc_session: 'x' });
      expect(r.status).toBe(0);
      expect(r.data).toMatchObject({ state: 'established', server: 'vps.example.net', port: 5555, uptime: 10 });
      const links = r.data!.links as Record<string, unknown>[];
      expect(links[0]).toMatchObject({ name: 'wan1', state: 'up', rtt_ms: 20, loss: 0, share: 1 });
      const linkFields = r.raw![0]!.find((f) => f.name === 'links')!;
      const first = (linkFields.value as { value: { name?: string; type: string }[] }[])[0]!.value;
      expect(Object.fromEntries(first.map((f) => [f.name, f.type]))).toMatchObject({
        loss: 'DOUBLE',
        share: 'DOUBLE',
        rtt_ms: 'DOUBLE',
        tx_bytes: 'INT32',
        state: 'STRING',
        backup: 'INT8',
      });
    });

    it('every method over both transports, with the right status codes', async () => {
      const sock = server.unix!.path;
      const both = async (method: string, args: Record<string, unknown> = {}) => {
        const u = await client.call('wanbond', method, args);
        const j = await callUnixControl(sock, method, args);
        return { ubus: u.status, unix: j.status, data: u.data, unixData: j.data };
      };
      expect((await both('policies')).data).toEqual({
        policies: [{ name: 'stream', mode: 'redundant', use_links: ['wan1'] }],
      });
      expect((await both('links')).unixData).toEqual({ links: [] });
      const sp = await both('speedtest', { link: 'wan1' });
      expect(sp.data).toEqual({ job: 'job-wan1' });
      expect((await both('speedtest', { link: '' })).data).toEqual({ job: 'job-all' });
      expect(await both('speedtest', { link: 'nope' })).toMatchObject({ ubus: 4, unix: 4 });
      expect(await both('speedtest', { link: 5 })).toMatchObject({ ubus: 2, unix: 2 });
      expect(await both('speedtest_result', { job: 'boom' })).toMatchObject({ ubus: 9, unix: 9 });
      expect(await both('nosuch')).toMatchObject({ ubus: 3, unix: 3 });
      expect((await both('events')).data).toEqual({ events: [] });
      const reload = await both('reload');
      expect(reload.data).toEqual({ ok: true });
      expect(reload.unixData).toEqual({ ok: false, error: 'line 3: bad option' });
    });

    it('never returns secrets', async () => {
      const u = await client.call('wanbond', 'leak');
      const j = await callUnixControl(server.unix!.path, 'leak');
      for (const d of [u.data, j.data]) {
        expect(JSON.stringify(d)).not.toContain(SECRET);
        expect(d).toEqual({ note: '[redacted]' });
      }
    });

    it('the unix socket is 0600 and answers bad requests with codes, not crashes', async () => {
      const path = server.unix!.path;
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const lines = await new Promise<string[]>((resolve) => {
        const s = createConnection(path);
        let buf = '';
        s.setEncoding('utf8');
        s.on('connect', () => s.write('not json\n{"id":7}\n{"id":8,"method":"status","args":[1]}\n'));
        s.on('data', (c: string) => {
          buf += c;
          if (buf.split('\n').length > 3) {
            s.destroy();
            resolve(buf.trim().split('\n'));
          }
        });
      });
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        { status: CONTROL_STATUS.PARSE_ERROR, error: 'request is not JSON' },
        { id: 7, status: CONTROL_STATUS.INVALID_COMMAND, error: 'request needs a "method" string' },
        { id: 8, status: CONTROL_STATUS.INVALID_ARGUMENT, error: 'arguments must be an object' },
      ]);
    });

    it('publishes wanbond.link as a notification, a ubus event and to unix watchers', async () => {
      const notes: unknown[] = [];
      const events: unknown[] = [];
      const sub = await client.subscribe('wanbond', (type, data) => notes.push([type, data]));
      const lis = await client.listen('wanbond.link', (ev, data) => events.push([ev, data]));
      const watched: string[] = [];
      const w = createConnection(server.unix!.path);
      w.setEncoding('utf8');
      w.on('data', (c: string) => watched.push(...c.trim().split('\n')));
      await new Promise((r) => w.on('connect', r));
      w.write('{"method":"watch"}\n');
      await new Promise((r) => setTimeout(r, 100));
      const ev = {
        link: 'wan1',
        interface: 'wan1',
        from: 'up' as const,
        to: 'down' as const,
        time: 1,
        reason: 'ifdown',
      };
      await server.linkEvent(ev);
      const end = Date.now() + 2000;
      while ((notes.length < 1 || events.length < 1 || watched.length < 2) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(notes).toEqual([['wanbond.link', ev]]);
      expect(events).toEqual([['wanbond.link', ev]]);
      expect(watched.map((l) => JSON.parse(l))).toEqual([{ status: 0 }, { event: 'wanbond.link', data: ev }]);
      w.destroy();
      await sub.close();
      await lis.close();
    });

    it('`wanbond status` prints the table from the unix socket and JSON from ubus', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), readStdin: async () => '' };
      expect(await statusCommand.run(['--socket', server.unix!.path], io)).toBe(0);
      expect(out.join('')).toContain('router: established, server vps.example.net:5555');
      expect(out.join('')).toMatch(/wan1\s+wan1\s+-\s+-\s+up/);
      out.length = 0;
      expect(await statusCommand.run(['--json', '--ubus-socket', broker.socket], io)).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ state: 'established', links: [{ name: 'wan1' }] });
      expect(await statusCommand.run(['--socket', join(dir, 'none.sock')], io)).toBe(EXIT_NOT_RUNNING);
      expect(err.join('')).toContain('Is the daemon running?');
      expect(await statusCommand.run(['--bogus'], io)).toBe(1);
    });

    it('a second daemon cannot take over a live control socket', async () => {
      await expect(
        ControlServer.start({ provider: provider(), unixSocket: server.unix!.path, ubus: 'off' }),
      ).rejects.toThrow(/in use/);
    });

    it('the object comes back after ubusd restarts', async () => {
      await broker.restart();
      const end = Date.now() + 5000;
      let st = -1;
      while (Date.now() < end) {
        const c = await UbusClient.connect({ socket: broker.socket, timeoutMs: 1000 }).catch(() => undefined);
        if (c) {
          st = (await c.call('wanbond', 'status')).status;
          c.close();
          if (st === STATUS.OK) break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(st).toBe(STATUS.OK);
      client.close();
      client = await UbusClient.connect({ socket: broker.socket, timeoutMs: 2000 });
    });
  });
}
