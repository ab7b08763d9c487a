/**
 * Message brokers for client tests. `startFakeUbusd` is an in-test FAKE ubusd (written from ubusd_proto.c /
 * ubusd_event.c / ubusd_obj.c semantics) used where a real ubusd cannot be had; `startRealUbusd` runs a real
 * ubusd binary named by $UBUSD (built from OpenWrt's sources outside the repo). Tests name which one they use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BlobmsgNode,
  decodeMessage,
  encodeMessage,
  getAttr,
  MessageReader,
  MSG,
  objectFromFields,
  STATUS,
  type UbusAttr,
  type UbusMessage,
} from '../../../src/ubus-js/src/index.js';

export interface Broker {
  readonly kind: 'fake ubusd' | 'real ubusd';
  readonly socket: string;
  /** Kills and restarts the broker on the same socket path (clients see a connection loss). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function tempSocketPath(): { dir: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ubusjs-'));
  return { dir, socket: join(dir, 'ubus.sock') };
}

// ---------------- fake ubusd ----------------

interface FObject {
  id: number;
  path: string | undefined;
  client: FClient;
  signature: BlobmsgNode[] | undefined;
  typeId: number | undefined;
  subscribers: Set<FObject>;
  targets: Set<FObject>;
}

interface FClient {
  id: number;
  sock: Socket;
  objects: Set<FObject>;
}

class FakeUbusd {
  clients = new Map<number, FClient>();
  objects = new Map<number, FObject>();
  patterns: { pattern: string; partial: boolean; obj: FObject }[] = [];
  eventSeq = 0;
  /** Every message a client sent, for tests that look at the raw replies of an object server. */
  received: { from: number; msg: UbusMessage }[] = [];
  private server: Server | undefined;

  constructor(readonly socket: string) {}

  newId(): number {
    for (;;) {
      const id = randomInt(1024, 0xffffffff);
      if (!this.clients.has(id) && !this.objects.has(id)) return id;
    }
  }

  start(): Promise<void> {
    this.server = createServer((sock) => this.accept(sock));
    return new Promise((resolve) => this.server!.listen(this.socket, resolve));
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.sock.destroy();
    this.clients.clear();
    this.objects.clear();
    this.patterns = [];
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    if (existsSync(this.socket)) rmSync(this.socket);
  }

  send(cl: FClient, msg: UbusMessage): undefined {
    if (!cl.sock.destroyed) cl.sock.write(encodeMessage(msg));
  }

  status(cl: FClient, m: UbusMessage, status: number): undefined {
    this.send(cl, { type: MSG.STATUS, seq: m.seq, peer: m.peer, attrs: [['STATUS', status]] });
  }

  accept(sock: Socket): void {
    const cl: FClient = { id: this.newId(), sock, objects: new Set() };
    this.clients.set(cl.id, cl);
    const reader = new MessageReader();
    sock.on('error', () => {});
    sock.on('close', () => this.dropClient(cl));
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(new Uint8Array(chunk))) this.handle(cl, decodeMessage(f));
      } catch {
        sock.destroy();
      }
    });
    this.send(cl, { type: MSG.HELLO, seq: 0, peer: cl.id, attrs: [] });
  }

  dropClient(cl: FClient): void {
    if (!this.clients.delete(cl.id)) return;
    for (const o of cl.objects) this.freeObject(o);
  }

  freeObject(o: FObject): void {
    for (const t of o.targets) this.unsubscribe(o, t);
    for (const s of o.subscribers) {
      this.send(s.client, {
        type: MSG.UNSUBSCRIBE,
        seq: 1,
        peer: 0,
        attrs: [
          ['OBJID', s.id],
          ['TARGET', o.id],
        ],
      });
      this.unsubscribe(s, o);
    }
    this.patterns = this.patterns.filter((p) => p.obj !== o);
    this.objects.delete(o.id);
    o.client.objects.delete(o);
    if (o.path) this.objectEvent(o, 'ubus.object.remove');
  }

  unsubscribe(sub: FObject, target: FObject): undefined {
    sub.targets.delete(target);
    target.subscribers.delete(sub);
    if (target.subscribers.size === 0) this.activeNotify(target, false);
  }

  activeNotify(target: FObject, active: boolean): undefined {
    this.send(target.client, {
      type: MSG.NOTIFY,
      seq: 1,
      peer: 0,
      attrs: [
        ['OBJID', target.id],
        ['ACTIVE', active ? 1 : 0],
      ],
    });
  }

  objectEvent(o: FObject, id: string): void {
    this.sendEvent(undefined, id, [
      { name: 'id', type: 'INT32', value: o.id | 0 },
      { name: 'path', type: 'STRING', value: o.path! },
    ]);
  }

  sendEvent(from: FClient | undefined, id: string, data: BlobmsgNode[]): void {
    const seen = new Set<FObject>();
    for (const p of this.patterns) {
      const match = p.partial ? id.startsWith(p.pattern) : id === p.pattern;
      if (!match || seen.has(p.obj) || p.obj.client === from) continue;
      seen.add(p.obj);
      this.send(p.obj.client, {
        type: MSG.INVOKE,
        seq: ++this.eventSeq,
        peer: 0,
        attrs: [
          ['OBJID', p.obj.id],
          ['METHOD', id],
          ['DATA', data],
        ],
      });
    }
  }

  handle(cl: FClient, m: UbusMessage): undefined {
    this.received.push({ from: cl.id, msg: m });
    switch (m.type) {
      case MSG.PING:
        this.send(cl, { ...m, type: MSG.DATA });
        return this.status(cl, m, 0);
      case MSG.LOOKUP:
        return this.lookup(cl, m);
      case MSG.ADD_OBJECT: {
        const path = getAttr(m, 'OBJPATH');
        if (path !== undefined && [...this.objects.values()].some((o) => o.path === path)) {
          return this.status(cl, m, STATUS.INVALID_ARGUMENT);
        }
        const sig = getAttr(m, 'SIGNATURE');
        const o: FObject = {
          id: this.newId(),
          path,
          client: cl,
          signature: sig,
          typeId: sig ? this.newId() : undefined,
          subscribers: new Set(),
          targets: new Set(),
        };
        this.objects.set(o.id, o);
        cl.objects.add(o);
        if (path) this.objectEvent(o, 'ubus.object.add');
        const attrs: UbusAttr[] = [['OBJID', o.id]];
        if (o.typeId !== undefined) attrs.push(['OBJTYPE', o.typeId]);
        this.send(cl, { type: MSG.DATA, seq: m.seq, peer: m.peer, attrs });
        return this.status(cl, m, 0);
      }
      case MSG.REMOVE_OBJECT: {
        const o = this.objects.get(getAttr(m, 'OBJID') ?? 0);
        if (!o) return this.status(cl, m, STATUS.NOT_FOUND);
        if (o.client !== cl) return this.status(cl, m, STATUS.PERMISSION_DENIED);
        this.send(cl, { type: MSG.DATA, seq: m.seq, peer: m.peer, attrs: [['OBJID', o.id]] });
        this.freeObject(o);
        return this.status(cl, m, 0);
      }
      case MSG.INVOKE:
        return this.invoke(cl, m);
      case MSG.STATUS:
      case MSG.DATA: {
        const objid = getAttr(m, 'OBJID');
        if (objid === undefined) return;
        if (m.type === MSG.STATUS && getAttr(m, 'STATUS') === undefined) return;
        if (m.type === MSG.DATA && getAttr(m, 'DATA') === undefined) return;
        const o = this.objects.get(objid);
        const target = this.clients.get(m.peer);
        if (!o || o.client !== cl || !target) return;
        return this.send(target, { ...m, peer: objid });
      }
      case MSG.SUBSCRIBE:
      case MSG.UNSUBSCRIBE: {
        const sub = this.objects.get(getAttr(m, 'OBJID') ?? 0);
        const targetId = getAttr(m, 'TARGET');
        if (!sub || targetId === undefined) return this.status(cl, m, STATUS.INVALID_ARGUMENT);
        if (sub.client !== cl) return this.status(cl, m, STATUS.INVALID_ARGUMENT);
        const target = this.objects.get(targetId);
        if (m.type === MSG.UNSUBSCRIBE) {
          if (!target || !sub.targets.has(target)) return this.status(cl, m, STATUS.NOT_FOUND);
          this.unsubscribe(sub, target);
          return this.status(cl, m, 0);
        }
        if (!target) return this.status(cl, m, STATUS.NOT_FOUND);
        if (target.client === cl) return this.status(cl, m, STATUS.INVALID_ARGUMENT);
        const first = target.subscribers.size === 0;
        target.subscribers.add(sub);
        sub.targets.add(target);
        if (first) this.activeNotify(target, true);
        return this.status(cl, m, 0);
      }
      case MSG.NOTIFY: {
        const o = this.objects.get(getAttr(m, 'OBJID') ?? 0);
        const method = getAttr(m, 'METHOD');
        if (!o || method === undefined) return this.status(cl, m, STATUS.INVALID_ARGUMENT);
        if (o.client !== cl) return this.status(cl, m, STATUS.PERMISSION_DENIED);
        const noReply = (getAttr(m, 'NO_REPLY') ?? 0) !== 0;
        if (!noReply) {
          this.send(cl, {
            type: MSG.STATUS,
            seq: m.seq,
            peer: m.peer,
            attrs: [
              ['OBJID', o.id],
              ['SUBSCRIBERS', [...o.subscribers].map((s) => s.id)],
              ['STATUS', 0],
            ],
          });
        }
        for (const s of o.subscribers) {
          const attrs: UbusAttr[] = noReply ? [['NO_REPLY', 1]] : [];
          attrs.push(['OBJID', s.id], ['METHOD', method], ['USER', 'root'], ['GROUP', 'root']);
          const data = getAttr(m, 'DATA');
          if (data) attrs.push(['DATA', data]);
          this.send(s.client, { type: MSG.INVOKE, seq: m.seq, peer: cl.id, attrs });
        }
        return;
      }
      default:
        return this.status(cl, m, STATUS.INVALID_COMMAND);
    }
  }

  lookup(cl: FClient, m: UbusMessage): undefined {
    const path = getAttr(m, 'OBJPATH');
    const typed = [...this.objects.values()]
      .filter((o) => o.path !== undefined && o.signature !== undefined)
      .sort((a, b) => (a.path! < b.path! ? -1 : 1));
    let matches: FObject[];
    if (path === undefined) matches = typed;
    else if (path === '') return this.status(cl, m, STATUS.INVALID_ARGUMENT);
    else if (path.endsWith('*')) matches = typed.filter((o) => o.path!.startsWith(path.slice(0, -1)));
    else matches = typed.filter((o) => o.path === path);
    if (path !== undefined && matches.length === 0) return this.status(cl, m, STATUS.NOT_FOUND);
    for (const o of matches) {
      this.send(cl, {
        type: MSG.DATA,
        seq: m.seq,
        peer: m.peer,
        attrs: [
          ['OBJPATH', o.path!],
          ['OBJID', o.id],
          ['OBJTYPE', o.typeId!],
          ['SIGNATURE', o.signature!],
        ],
      });
    }
    this.status(cl, m, 0);
  }

  invoke(cl: FClient, m: UbusMessage): undefined {
    const objid = getAttr(m, 'OBJID');
    const method = getAttr(m, 'METHOD');
    if (objid === undefined || method === undefined) return this.status(cl, m, STATUS.INVALID_ARGUMENT);
    if (objid === 1) return this.status(cl, m, this.eventCall(cl, method, getAttr(m, 'DATA')));
    const o = this.objects.get(objid);
    if (!o) return this.status(cl, m, STATUS.NOT_FOUND);
    const attrs: UbusAttr[] = [
      ['OBJID', o.id],
      ['METHOD', method],
      ['USER', 'root'],
      ['GROUP', 'root'],
    ];
    const data = getAttr(m, 'DATA');
    if (data) attrs.push(['DATA', data]);
    this.send(o.client, { type: MSG.INVOKE, seq: m.seq, peer: cl.id, attrs });
  }

  eventCall(cl: FClient, method: string, data: BlobmsgNode[] | undefined): number {
    if (!data) return STATUS.INVALID_ARGUMENT;
    const args = objectFromFields(data);
    if (method === 'register') {
      const id = args.object;
      const pattern = args.pattern;
      if (typeof id !== 'number' || typeof pattern !== 'string') return STATUS.INVALID_ARGUMENT;
      const o = this.objects.get(id >>> 0);
      if (!o) return STATUS.NOT_FOUND;
      if (o.client !== cl || pattern === '') return STATUS.PERMISSION_DENIED;
      const partial = pattern.endsWith('*');
      this.patterns.push({ pattern: partial ? pattern.slice(0, -1) : pattern, partial, obj: o });
      return 0;
    }
    if (method === 'send') {
      const id = data.find((f) => f.name === 'id');
      const body = data.find((f) => f.name === 'data');
      if (id?.type !== 'STRING' || body?.type !== 'TABLE') return STATUS.INVALID_ARGUMENT;
      if (id.value.startsWith('ubus.')) return STATUS.PERMISSION_DENIED;
      this.sendEvent(cl, id.value, body.value);
      return 0;
    }
    return STATUS.INVALID_COMMAND;
  }
}

export async function startFakeUbusd(): Promise<Broker & { fake: FakeUbusd }> {
  const { dir, socket } = tempSocketPath();
  let fake = new FakeUbusd(socket);
  await fake.start();
  return {
    kind: 'fake ubusd',
    socket,
    get fake() {
      return fake;
    },
    async restart() {
      await fake.stop();
      fake = new FakeUbusd(socket);
      await fake.start();
    },
    async stop() {
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------- real ubusd ----------------

export const REAL_UBUSD = process.env.UBUSD;

async function waitFor(path: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startRealUbusd(): Promise<Broker> {
  if (!REAL_UBUSD) throw new Error('set UBUSD to a ubusd binary');
  const { dir, socket } = tempSocketPath();
  let proc: ChildProcess | undefined;
  const run = async () => {
    proc = spawn(REAL_UBUSD, ['-s', socket], { stdio: 'ignore' });
    await waitFor(socket);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    if (existsSync(socket)) rmSync(socket);
  };
  await run();
  return {
    kind: 'real ubusd',
    socket,
    async restart() {
      await kill();
      await run();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
