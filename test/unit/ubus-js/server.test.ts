/** Object-server rules that the recorded vectors do not exercise, checked on the messages it sends. */
import { describe, expect, it } from 'vitest';
import {
  argMatches,
  getAttr,
  invokeMessage,
  MSG,
  ObjectRegistry,
  STATUS,
  type UbusMessage,
} from '../../../src/ubus-js/src/index.js';

function harness() {
  const sent: UbusMessage[] = [];
  const errors: unknown[] = [];
  const registry = new ObjectRegistry({
    send: (m) => {
      sent.push(m);
      return true;
    },
    nextSeq: () => 1,
    request: async (m, onData) => {
      onData?.({ type: MSG.DATA, seq: m.seq, peer: 0, attrs: [['OBJID', 0x1234]] });
      return { status: 0, data: [] };
    },
    int64: undefined,
    onHandlerError: (e) => errors.push(e),
  });
  return { sent, errors, registry };
}

const tick = () => new Promise((r) => setImmediate(r));

/** An INVOKE as ubusd forwards it: peer = the caller's client ID. */
function forwarded(method: string, opts: { noReply?: boolean; noData?: boolean; objid?: number } = {}): UbusMessage {
  const m = invokeMessage(0x4321, opts.objid ?? 0x1234, method, []);
  m.peer = 0xcafe0001;
  m.attrs.push(['USER', 'root'], ['GROUP', 'root']);
  if (opts.noData) m.attrs = m.attrs.filter(([n]) => n !== 'DATA');
  if (opts.noReply) m.attrs.unshift(['NO_REPLY', 1]);
  return m;
}

describe('object server', () => {
  it('answers on the caller seq and peer with DATA then exactly one STATUS', async () => {
    const h = harness();
    await h.registry.add('o', { m: { handler: () => ({ a: 1 }) } });
    h.registry.onInvoke(forwarded('m'));
    await tick();
    expect(h.sent.map((m) => [m.type, m.seq, m.peer, getAttr(m, 'OBJID')])).toEqual([
      [MSG.DATA, 0x4321, 0xcafe0001, 0x1234],
      [MSG.STATUS, 0x4321, 0xcafe0001, 0x1234],
    ]);
    expect(getAttr(h.sent[1]!, 'STATUS')).toBe(0);
  });

  it('NO_REPLY: the handler runs, nothing is sent back', async () => {
    const h = harness();
    let ran = 0;
    await h.registry.add('o', {
      m: {
        handler: () => {
          ran++;
          return { a: 1 };
        },
      },
    });
    h.registry.onInvoke(forwarded('m', { noReply: true }));
    h.registry.onInvoke(forwarded('nosuch', { noReply: true }));
    await tick();
    expect(ran).toBe(1);
    expect(h.sent).toEqual([]);
  });

  it('unknown object -> NOT_FOUND, missing DATA -> INVALID_ARGUMENT, unknown method -> METHOD_NOT_FOUND', async () => {
    const h = harness();
    await h.registry.add('o', { m: { handler: () => undefined } });
    h.registry.onInvoke(forwarded('m', { objid: 99 }));
    h.registry.onInvoke(forwarded('m', { noData: true }));
    h.registry.onInvoke(forwarded('toString'));
    await tick();
    expect(h.sent.map((m) => getAttr(m, 'STATUS'))).toEqual([
      STATUS.NOT_FOUND,
      STATUS.INVALID_ARGUMENT,
      STATUS.METHOD_NOT_FOUND,
    ]);
  });

  it('a reply that cannot be encoded is UNKNOWN_ERROR, and a removed object answers nothing late', async () => {
    const h = harness();
    let release: (v: Record<string, unknown>) => void = () => {};
    const obj = await h.registry.add('o', {
      cyc: {
        handler: () => {
          const o: Record<string, unknown> = {};
          o.o = o;
          return o;
        },
      },
      later: { handler: () => new Promise((r) => (release = r)) },
    });
    h.registry.onInvoke(forwarded('cyc'));
    h.registry.onInvoke(forwarded('later'));
    await tick();
    expect(h.sent.map((m) => [m.type, getAttr(m, 'STATUS')])).toEqual([[MSG.STATUS, STATUS.UNKNOWN_ERROR]]);
    await obj.remove();
    h.sent.length = 0;
    release({ late: true });
    await tick();
    expect(h.sent.filter((m) => m.type !== MSG.REMOVE_OBJECT)).toEqual([]);
  });

  it('argument types: int widths are interchangeable, bool/string/table must match', () => {
    expect(argMatches(5, { type: 'INT64', value: 1n })).toBe(true);
    expect(argMatches(8, { type: 'INT32', value: 1 })).toBe(true);
    expect(argMatches(7, { type: 'STRING', value: 'x' })).toBe(false);
    expect(argMatches(3, { type: 'INT32', value: 1 })).toBe(false);
    expect(argMatches(2, { type: 'ARRAY', value: [] })).toBe(false);
    expect(argMatches(0, { type: 'ARRAY', value: [] })).toBe(true);
  });
});
