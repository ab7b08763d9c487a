/**
 * The object server against the recorded object-server side of each exchange (server-register.jsonl and
 * server-side--*.jsonl): our ADD_OBJECT bytes for the recorded signatures, and for every INVOKE ubusd forwarded,
 * the exact bytes we answer (caller's seq and peer kept, DATA then exactly one STATUS, NOTIFY to subscribers).
 * Handlers are scripted from the recorded replies, so any vector set in this layout is checked the same way.
 */
import { describe, expect, it } from 'vitest';
import {
  type BlobmsgNode,
  decodeMessage,
  encodeMessage,
  getAttr,
  type MethodSpec,
  MSG,
  ObjectRegistry,
  RawTable,
  UbusError,
  type UbusMessage,
  type UbusObject,
} from '../../../src/ubus-js/src/index.js';
import { fromHex, readVector, toHex, type VectorLine, vectorFiles } from './vector-files.js';

interface Script {
  replies: BlobmsgNode[][];
  status: number;
  notifies: { type: string; fields: BlobmsgNode[] }[];
}

class Harness {
  sent: Uint8Array[] = [];
  seq = 0;
  script: Script = { replies: [], status: 0, notifies: [] };
  objects = new Map<string, UbusObject>();
  pendingReply: UbusMessage[] = [];
  registry = new ObjectRegistry({
    send: (m) => {
      this.sent.push(encodeMessage(m));
      return true;
    },
    nextSeq: () => ++this.seq,
    request: async (m, onData) => {
      this.sent.push(encodeMessage(m));
      const replies = this.pendingReply.splice(0);
      for (const r of replies) if (r.type === MSG.DATA) onData?.(r);
      const st = replies.find((r) => r.type === MSG.STATUS);
      return { status: st ? getAttr(st, 'STATUS')! : 0, data: replies.filter((r) => r.type === MSG.DATA) };
    },
    int64: undefined,
    onHandlerError: () => {},
  });

  methodsFor(signature: BlobmsgNode[], name: string): Record<string, MethodSpec> {
    const methods: Record<string, MethodSpec> = {};
    for (const m of signature) {
      const params = Object.fromEntries((m.value as BlobmsgNode[]).map((p) => [p.name!, p.value as number]));
      methods[m.name!] = {
        signature: params,
        handler: (_args, req) => {
          const s = this.script;
          for (const n of s.notifies) this.objects.get(name)!.notify(n.type, new RawTable(n.fields));
          const replies = [...s.replies];
          const last = replies.pop();
          for (const r of replies) req.reply(new RawTable(r));
          if (s.status !== 0) throw new UbusError(s.status);
          return last ? new RawTable(last) : undefined;
        },
      };
    }
    return methods;
  }
}

const files = vectorFiles();
const registerFile = files.find((f) => f === 'server-register.jsonl');
const sideFiles = files.filter((f) => f.startsWith('server-side--'));

/** Registers the recorded objects; returns the harness and checks our ADD_OBJECT bytes on the way. */
async function registerRecorded(h: Harness, lines: VectorLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.dir !== 'client->ubusd' || line.type !== 'ADD_OBJECT') continue;
    const msg = decodeMessage(fromHex(line.hex));
    const path = getAttr(msg, 'OBJPATH');
    const sig = getAttr(msg, 'SIGNATURE');
    if (path === undefined || sig === undefined) continue;
    h.seq = msg.seq - 1;
    h.pendingReply = lines
      .slice(i + 1)
      .filter((l) => l.dir === 'ubusd->client' && l.seq === msg.seq && (l.type === 'DATA' || l.type === 'STATUS'))
      .map((l) => decodeMessage(fromHex(l.hex)));
    const assigned = h.pendingReply.map((m) => getAttr(m, 'OBJID')).find((v) => v !== undefined);
    h.sent = [];
    const obj = await h.registry.add(path, h.methodsFor(sig, path));
    h.objects.set(path, obj);
    expect(toHex(h.sent[0]!)).toBe(line.hex);
    expect(obj.id).toBe(assigned);
  }
}

describe('object server against the recorded server side', () => {
  it('has the recorded registration', () => {
    expect(registerFile).toBeDefined();
    expect(sideFiles.length).toBeGreaterThan(0);
  });

  it.runIf(registerFile !== undefined)(`${registerFile}: ADD_OBJECT bytes for every recorded signature`, async () => {
    const h = new Harness();
    await registerRecorded(h, readVector(registerFile!));
    expect(h.objects.size).toBeGreaterThan(0);
  });

  it.each(sideFiles)('%s: our replies to each forwarded INVOKE are byte-identical', async (file) => {
    const h = new Harness();
    await registerRecorded(h, readVector(registerFile!));
    const lines = readVector(file);
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.dir !== 'ubusd->client') continue;
      const msg = decodeMessage(fromHex(line.hex));
      const following: VectorLine[] = [];
      for (let j = i + 1; j < lines.length && lines[j]!.dir === 'client->ubusd'; j++) following.push(lines[j]!);
      if (msg.type === MSG.NOTIFY) {
        h.registry.onNotify(msg);
        const obj = [...h.objects.values()].find((o) => o.id === getAttr(msg, 'OBJID'));
        expect(obj?.hasSubscribers).toBe(getAttr(msg, 'ACTIVE') === 1);
        continue;
      }
      if (msg.type !== MSG.INVOKE) continue;
      const out = following.map((l) => decodeMessage(fromHex(l.hex)));
      const notifies = out.filter((m) => m.type === MSG.NOTIFY);
      h.script = {
        replies: out.filter((m) => m.type === MSG.DATA).map((m) => getAttr(m, 'DATA')!),
        status: getAttr(out.find((m) => m.type === MSG.STATUS) ?? msg, 'STATUS') ?? 0,
        notifies: notifies.map((m) => ({ type: getAttr(m, 'METHOD')!, fields: getAttr(m, 'DATA')! })),
      };
      if (notifies[0]) h.seq = notifies[0].seq - 1;
      h.sent = [];
      h.registry.onInvoke(msg);
      await new Promise((r) => setImmediate(r));
      expect(h.sent.map(toHex)).toEqual(following.map((l) => l.hex));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
