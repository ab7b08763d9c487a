/**
 * blob/blobmsg rules from libubox and the "facts likely to be gotten wrong" in openwrt.md section 2, one test
 * each, plus properties over random input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlobError,
  type BlobmsgNode,
  BlobWriter,
  decodeBlobmsgList,
  decodeMessage,
  encodeMessage,
  formatDoubleC,
  formatJsonTable,
  fromBlobmsg,
  getAttr,
  invokeMessage,
  lookupMessage,
  MessageReader,
  MSG,
  objectFromFields,
  parseJsonTable,
  tableFields,
  toBlobmsg,
  typed,
  UBUS_MAX_MSGLEN,
  writeBlobmsg,
} from '../../../src/ubus-js/src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (n: BlobmsgNode) => {
  const w = new BlobWriter();
  writeBlobmsg(w, n);
  return w.finish();
};

describe('blobmsg encoding', () => {
  it('a bool is INT8 (type 7) with EXTENDED set, name header padded, raw length excludes padding', () => {
    // 87 00 00 0d | 00 02 'u' 'p' 00 00 00 00 | 01 | pad
    expect(hex(enc(toBlobmsg(true, 'up')))).toBe('8700000d000275700000000001000000');
  });

  it('array elements are blobmsgs with EXTENDED set and namelen 0', () => {
    const b = enc(toBlobmsg([7], 'a'));
    // element: 85 00 00 0c | 00 00 00 00 | 00 00 00 07
    expect(hex(b)).toBe('8100001400016100' + '8500000c0000000000000007');
  });

  it("a container's length counts its children's padding; strings carry their NUL", () => {
    const b = enc(toBlobmsg({ s: 'ab' }, 't'));
    const childRaw = 4 + 4 + 3; // header + name header (00 01 's' 00) + "ab\0"
    expect(Buffer.from(b).readUInt32BE(0)).toBe((0x82000000 | (4 + 4 + ((childRaw + 3) & ~3))) >>> 0);
    expect(b.length % 4).toBe(0);
    expect(decodeBlobmsgList(b)[0]).toEqual({
      name: 't',
      type: 'TABLE',
      value: [{ name: 's', type: 'STRING', value: 'ab' }],
    });
  });

  it('integers are big-endian with exact sizes; INT16 and INT32 decode signed', () => {
    for (const [t, v, bytes] of [
      ['INT8', 1, '01'],
      ['INT16', -2, 'fffe'],
      ['INT32', -2147483648, '80000000'],
      ['INT64', -5000000000n, 'fffffffed5fa0e00'],
    ] as const) {
      const n = { name: 'x', type: t, value: v } as BlobmsgNode;
      const b = enc(n);
      expect(hex(b)).toContain(bytes);
      expect(decodeBlobmsgList(b)[0]).toEqual(n);
    }
  });

  it('a double is its IEEE-754 bits as a big-endian u64', () => {
    expect(hex(enc({ type: 'DOUBLE', value: 1.5 }))).toBe('88000010' + '00000000' + '3ff8000000000000');
  });

  it('rejects integers of the wrong size and unterminated strings with BlobError', () => {
    const bad32 = Uint8Array.from([0x85, 0, 0, 0x0b, 0, 0, 0, 0, 1, 2, 3, 0]);
    expect(() => decodeBlobmsgList(bad32)).toThrow(BlobError);
    const badStr = Uint8Array.from([0x83, 0, 0, 0x09, 0, 0, 0, 0, 0x41, 0, 0, 0]);
    expect(() => decodeBlobmsgList(badStr)).toThrow(/NUL/);
  });
});

describe('JSON <-> blobmsg (libubox rules)', () => {
  it('JS numbers: int32 -> INT32, larger integers -> INT64, others -> DOUBLE; true -> INT8; null -> UNSPEC', () => {
    const f = tableFields({ a: 5, b: 2147483648, c: -2147483649, d: 1.5, e: true, f: null, g: 'x' });
    expect(f.map((n) => n.type)).toEqual(['INT32', 'INT64', 'INT64', 'DOUBLE', 'INT8', 'UNSPEC', 'STRING']);
    expect(objectFromFields(f)).toEqual({ a: 5, b: 2147483648, c: -2147483649, d: 1.5, e: true, f: null, g: 'x' });
  });

  it('JSON text keeps json-c number rules (observed with the real ubus CLI: 1.0 and 1e2 are DOUBLE, ints clamp)', () => {
    const f = parseJsonTable(
      '{"a":1.0,"b":1e2,"c":100000000000000000000,"d":-100000000000000000000,"e":-0,"f":2147483648,"g":-2147483649,"i":0.1}',
    );
    expect(f.map((n) => [n.name, n.type, n.value])).toEqual([
      ['a', 'DOUBLE', 1],
      ['b', 'DOUBLE', 100],
      ['c', 'INT64', 9223372036854775807n],
      ['d', 'INT64', -9223372036854775808n],
      ['e', 'INT32', 0],
      ['f', 'INT64', 2147483648n],
      ['g', 'INT64', -2147483649n],
      ['i', 'DOUBLE', 0.1],
    ]);
    expect(() => parseJsonTable('[1]')).toThrow(/objects/);
    expect(() => parseJsonTable('{"a":}')).toThrow(BlobError);
  });

  it('INT8 reads back as a boolean; typed() forces a wire type', () => {
    expect(fromBlobmsg({ type: 'INT8', value: 2 })).toBe(true);
    expect(toBlobmsg(typed('DOUBLE', 2))).toEqual({ type: 'DOUBLE', value: 2 });
    expect(toBlobmsg(typed('INT16', -3))).toEqual({ type: 'INT16', value: -3 });
  });

  it('INT64 beyond 2^53 stays exact as a bigint', () => {
    expect(fromBlobmsg({ type: 'INT64', value: 9007199254740993n })).toBe(9007199254740993n);
    expect(fromBlobmsg({ type: 'INT64', value: 5n })).toBe(5);
  });

  it('formats like blobmsg_format_json: %lf doubles (ties to even), escapes, tab indentation, empty lists', () => {
    expect(formatDoubleC(0.0078125)).toBe('0.007812');
    expect(formatDoubleC(0.0234375)).toBe('0.023438');
    expect(formatDoubleC(-0)).toBe('-0.000000');
    expect(formatDoubleC(1e22)).toBe('10000000000000000000000.000000');
    expect(formatJsonTable(tableFields({ s: 'a"\\\n\u0001', e: [] }), { indent: 0 })).toBe(
      '{\n\t"s": "a\\"\\\\\\n\\u0001",\n\t"e": [\n\t\t\n\t]\n}',
    );
    expect(formatJsonTable(tableFields({ a: { b: [1, true] } }))).toBe('{"a":{"b":[1,true]}}');
  });

  it('cuts strings at a NUL like C, refuses cycles and binary with a clear error', () => {
    expect(toBlobmsg('a\0b')).toEqual({ type: 'STRING', value: 'a\0b' });
    expect(decodeBlobmsgList(enc(toBlobmsg('a\0b', 'x')))[0]).toEqual({ name: 'x', type: 'STRING', value: 'a' });
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => tableFields(cyc)).toThrow(/cyclic/);
    expect(() => toBlobmsg(new Uint8Array(2))).toThrow(/binary/);
  });

  it('round-trips any JSON-like value through the wire', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => !k.includes('\0')),
          tie('v'),
          { maxKeys: 4 },
        ),
      ),
    })).v;
    const noNul = (x: unknown): unknown =>
      typeof x === 'string'
        ? x.split('\0')[0]
        : Array.isArray(x)
          ? x.map(noNul)
          : x && typeof x === 'object'
            ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, noNul(v)]))
            : x;
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => !k.includes('\0')),
          value,
        ),
        (obj) => {
          const msg = invokeMessage(1, 1234, 'm', tableFields(obj));
          const back = decodeMessage(encodeMessage(msg));
          expect(objectFromFields(getAttr(back, 'DATA')!)).toEqual(noNul(obj));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ubus messages', () => {
  it('LOOKUP network.interface.wan is the documented 40 bytes', () => {
    expect(hex(encodeMessage(lookupMessage(1, 'network.interface.wan')))).toBe(
      `0004000100000000000000200200001a${Buffer.from('network.interface.wan\0').toString('hex')}0000`,
    );
  });

  it('HELLO carries the client ID in peer, big-endian', () => {
    const m = decodeMessage(Uint8Array.from([0, 0, 0, 0, 0x16, 0xe0, 0x70, 0x14, 0, 0, 0, 4]));
    expect(m).toEqual({ type: MSG.HELLO, seq: 0, peer: 0x16e07014, attrs: [] });
  });

  it('an INVOKE without arguments still carries an (empty) DATA', () => {
    const m = decodeMessage(encodeMessage(invokeMessage(2, 7, 'status', [])));
    expect(getAttr(m, 'DATA')).toEqual([]);
  });

  it('the stream reader refuses a wrong version and messages over 1 MiB', () => {
    expect(() => new MessageReader().push(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]))).toThrow(/version/);
    const big = new Uint8Array(12);
    new DataView(big.buffer).setUint32(8, UBUS_MAX_MSGLEN + 8);
    expect(() => new MessageReader().push(big)).toThrow(/1 MiB/);
  });

  it('random bytes never crash the decoder: they decode or throw BlobError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const framed = new Uint8Array(12 + bytes.length);
        framed.set(bytes, 12);
        new DataView(framed.buffer).setUint32(8, 4 + bytes.length);
        for (const input of [bytes, framed]) {
          try {
            decodeMessage(input);
          } catch (e) {
            expect(e).toBeInstanceOf(BlobError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
