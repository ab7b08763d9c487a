/**
 * Client and object server over a unix socket. Every test runs against the in-test FAKE ubusd, and again
 * against a REAL ubusd when $UBUSD names one (built from OpenWrt's sources outside the repo; skipped otherwise).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultSocketPath,
  STATUS,
  typed,
  UBUS_SOCKET_PATHS,
  UbusClient,
  UbusError,
  type UbusObject,
} from '../../../src/ubus-js/src/index.js';
import { type Broker, REAL_UBUSD, startFakeUbusd, startRealUbusd, tempSocketPath } from './brokers.js';

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const suites: [string, () => Promise<Broker>, boolean][] = [
  ['in-test FAKE ubusd', startFakeUbusd, false],
  ['REAL ubusd from $UBUSD', startRealUbusd, !REAL_UBUSD],
];

for (const [label, start, skip] of suites) {
  describe.skipIf(skip)(`ubus client and object server (${label})`, () => {
    let broker: Broker;
    const clients: UbusClient[] = [];
    const connect = async (opts = {}) => {
      const c = await UbusClient.connect({ socket: broker.socket, timeoutMs: 2000, ...opts });
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      broker = await start();
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.close();
    });
    afterAll(async () => {
      await broker.stop();
    });

    async function serveTest(server: UbusClient, name = 'jstest'): Promise<UbusObject> {
      return server.addObject(name, {
        echo: { signature: { str: 'STRING', n: 'INT32', flag: 'BOOL', tbl: 'TABLE' }, handler: (args) => args },
        status: { handler: () => ({ ok: true, ratio: 0.25, big: 5_000_000_000, exact: typed('DOUBLE', 2) }) },
        multi: {
          signature: { id: 'INT32' },
          handler: (args, req) => {
            req.reply({ part: 1, id: args.id });
            return { part: 2 };
          },
        },
        silent: { handler: () => undefined },
        fail: {
          signature: { reason: 'STRING' },
          handler: () => {
            throw new UbusError(STATUS.INVALID_ARGUMENT, 'bad reason');
          },
        },
        crash: {
          handler: () => {
            throw new Error('boom');
          },
        },
        junk: { handler: () => 42 as unknown as Record<string, unknown> },
        slow: { handler: () => new Promise<undefined>(() => {}) },
        later: { handler: async () => ({ done: true }) },
        whoami: { handler: (_a, req) => ({ user: req.user ?? '', group: req.group ?? '' }) },
      });
    }

    it('receives HELLO with a client ID and answers PING', async () => {
      const c = await connect();
      expect(c.clientId).toBeGreaterThan(0);
      expect(await c.ping()).toBe(true);
    });

    it('registers an object with a signature that LOOKUP returns', async () => {
      const server = await connect();
      const obj = await serveTest(server);
      const client = await connect();
      const [info] = await client.lookup('jstest');
      expect(info?.id).toBe(obj.id);
      expect(info?.signature.echo).toEqual({ str: 3, n: 5, flag: 7, tbl: 2 });
      expect(info?.signature.status).toEqual({});
      expect((await client.lookup('js*')).map((o) => o.path)).toContain('jstest');
      await obj.remove();
      expect(await client.lookup('jstest')).toEqual([]);
    });

    it('an object without methods is still found (SIGNATURE always sent)', async () => {
      const server = await connect();
      const obj = await server.addObject('jsempty', {});
      const client = await connect();
      expect((await client.lookup('jsempty')).map((o) => o.id)).toEqual([obj.id]);
    });

    it('calls: echo, typed replies, multi-reply, no-data, async', async () => {
      const server = await connect();
      await serveTest(server);
      const c = await connect();
      const echo = await c.call('jstest', 'echo', { str: 'hi', n: -5, flag: true, tbl: { a: [1, 'x'] } });
      expect(echo).toMatchObject({
        status: 0,
        data: { str: 'hi', n: -5, flag: true, tbl: { a: [1, 'x'] } },
        replies: [{ str: 'hi', n: -5, flag: true, tbl: { a: [1, 'x'] } }],
      });
      expect(echo.raw?.[0]?.map((f) => f.type)).toEqual(['STRING', 'INT32', 'INT8', 'TABLE']);
      expect((await c.call('jstest', 'status')).data).toEqual({ ok: true, ratio: 0.25, big: 5_000_000_000, exact: 2 });
      const multi = await c.call('jstest', 'multi', { id: 7 });
      expect(multi.status).toBe(0);
      expect(multi.replies).toEqual([{ part: 1, id: 7 }, { part: 2 }]);
      expect(await c.call('jstest', 'silent')).toMatchObject({ status: 0, data: undefined, replies: [] });
      expect((await c.call('jstest', 'later')).data).toEqual({ done: true });
      expect(await c.callOk('jstest', 'later')).toEqual({ done: true });
    });

    it('maps errors to status codes and never crashes the server', async () => {
      const server = await connect();
      const errors: unknown[] = [];
      server.on('handlerError', (e) => errors.push(e));
      await serveTest(server);
      const c = await connect();
      expect((await c.call('jstest', 'nosuch')).status).toBe(STATUS.METHOD_NOT_FOUND);
      expect((await c.call('nosuchobject', 'status')).status).toBe(STATUS.NOT_FOUND);
      expect((await c.call('jstest', 'fail', { reason: 'x' })).status).toBe(STATUS.INVALID_ARGUMENT);
      expect((await c.call('jstest', 'echo', { n: 'not a number' })).status).toBe(STATUS.INVALID_ARGUMENT);
      expect((await c.call('jstest', 'crash')).status).toBe(STATUS.UNKNOWN_ERROR);
      expect((await c.call('jstest', 'junk')).status).toBe(STATUS.UNKNOWN_ERROR);
      expect(errors.length).toBe(1);
      await expect(c.callOk('jstest', 'nosuch')).rejects.toMatchObject({ status: STATUS.METHOD_NOT_FOUND });
      // LuCI (through rpcd) adds ubus_rpc_session to every call: it must be accepted.
      expect((await c.call('jstest', 'echo', { str: 'a', ubus_rpc_session: 'abc' })).status).toBe(0);
      // An int of another width is accepted where an integer is declared (JSON callers cannot choose).
      expect((await c.call('jstest', 'echo', { n: typed('INT64', 3n) })).data).toEqual({ n: 3 });
      expect(await server.ping()).toBe(true);
    });

    it('passes the USER and GROUP that ubusd adds', async () => {
      const server = await connect();
      await serveTest(server);
      const c = await connect();
      expect((await c.call('jstest', 'whoami')).data).toEqual({ user: 'root', group: 'root' });
    });

    it('times out a call whose handler never answers', async () => {
      const server = await connect();
      await serveTest(server);
      const c = await connect();
      const t0 = Date.now();
      expect((await c.call('jstest', 'slow', {}, { timeoutMs: 200 })).status).toBe(STATUS.TIMEOUT);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect((await c.call('jstest', 'status')).status).toBe(0);
    });

    it('sends and listens to events; own events do not loop back; ubus.* is refused', async () => {
      const a = await connect();
      const b = await connect();
      const got: [string, unknown][] = [];
      const own: string[] = [];
      await a.listen('jsev.*', (ev, data) => got.push([ev, data]));
      await b.listen('jsev.one', (ev) => own.push(ev));
      await b.sendEvent('jsev.one', { state: 'up', n: 3, tbl: { x: [1, 2] } });
      await b.sendEvent('other', { x: 1 });
      await until(() => got.length === 1);
      expect(got).toEqual([['jsev.one', { state: 'up', n: 3, tbl: { x: [1, 2] } }]]);
      expect(own).toEqual([]);
      await expect(b.sendEvent('ubus.fake', {})).rejects.toMatchObject({ status: STATUS.PERMISSION_DENIED });
    });

    it('subscribes to notifications, tracks subscribers, and re-subscribes when the target comes back', async () => {
      const server = await connect();
      let obj = await server.addObject('jsnotifier', { ping: { handler: () => ({}) } });
      const sub = await connect();
      const got: [string, unknown][] = [];
      const subscription = await sub.subscribe('jsnotifier', (type, data) => got.push([type, data]));
      await until(() => obj.hasSubscribers);
      expect(obj.notify('jsn.alarm', { count: 1, text: 'ring' })).toBe(true);
      await until(() => got.length === 1);
      expect(got[0]).toEqual(['jsn.alarm', { count: 1, text: 'ring' }]);

      await obj.remove();
      await until(() => subscription.targetId === undefined);
      obj = await server.addObject('jsnotifier', { ping: { handler: () => ({}) } });
      await until(() => subscription.targetId === obj.id);
      await until(() => obj.hasSubscribers);
      obj.notify('jsn.again', { n: 2 });
      await until(() => got.length === 2);
      expect(got[1]).toEqual(['jsn.again', { n: 2 }]);
      await subscription.close();
      await until(() => !obj.hasSubscribers);
    });

    it('subscribe to a missing object fails with NOT_FOUND unless asked to wait', async () => {
      const c = await connect();
      await expect(c.subscribe('jsmissing', () => {})).rejects.toMatchObject({ status: STATUS.NOT_FOUND });
      const s = await c.subscribe('jsmissing', () => {}, { waitForObject: true });
      expect(s.targetId).toBeUndefined();
      const server = await connect();
      const obj = await server.addObject('jsmissing', {});
      await until(() => s.targetId === obj.id);
    });

    it('reconnects after ubusd restarts and re-registers objects, listeners and subscriptions', async () => {
      const server = await connect();
      const obj = await serveTest(server, 'jsreborn');
      const target = await server.addObject('jsrtarget', {});
      const watcher = await connect();
      const events: string[] = [];
      const notes: string[] = [];
      await watcher.listen('jsr.*', (ev) => events.push(ev));
      await watcher.subscribe('jsrtarget', (type) => notes.push(type));
      const oldId = obj.id;
      const reconnected = Promise.all([server, watcher].map((c) => new Promise((r) => c.once('reconnect', r))));
      await broker.restart();
      await reconnected;
      expect(obj.id).not.toBe(0);
      expect(obj.id).not.toBe(oldId);
      const c = await connect();
      expect((await c.call('jsreborn', 'later')).data).toEqual({ done: true });
      await c.sendEvent('jsr.back', {});
      await until(() => events.length === 1);
      await until(() => target.hasSubscribers);
      target.notify('jsr.note', {});
      await until(() => notes.length === 1);
      expect(notes).toEqual(['jsr.note']);
    });

    it('fails pending calls with CONNECTION_FAILED when closed', async () => {
      const server = await connect();
      await serveTest(server);
      const c = await connect({ reconnect: false });
      const p = c.call('jstest', 'slow', {}, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 50));
      c.close();
      expect((await p).status).toBe(STATUS.CONNECTION_FAILED);
      expect((await c.call('jstest', 'status')).status).toBe(STATUS.CONNECTION_FAILED);
    });
  });
}

describe('socket path selection', () => {
  it('prefers /var/run/ubus/ubus.sock, then falls back to /var/run/ubus.sock', () => {
    const a = tempSocketPath();
    const b = tempSocketPath();
    expect(defaultSocketPath([a.socket, b.socket])).toBe(a.socket);
    writeFileSync(b.socket, '');
    expect(defaultSocketPath([a.socket, b.socket])).toBe(b.socket);
    writeFileSync(a.socket, '');
    expect(defaultSocketPath([a.socket, b.socket])).toBe(a.socket);
    expect(UBUS_SOCKET_PATHS).toEqual(['/var/run/ubus/ubus.sock', '/var/run/ubus.sock']);
  });

  it('connect() to a socket nobody serves fails with a clear error, without retrying forever', async () => {
    const { socket } = tempSocketPath();
    await expect(UbusClient.connect({ socket, connectTimeoutMs: 500 })).rejects.toThrow(/cannot connect/);
  });
});
