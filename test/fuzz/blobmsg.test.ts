import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOBMSG_MAX_DEPTH,
  BlobError,
  type BlobmsgNode,
  BlobWriter,
  decodeBlobmsgList,
  decodeMessage,
  writeBlobmsg,
} from '../../src/ubus-js/src/index.js';
import { budget, timeoutFor } from './budget.js';

/** Only BlobError may leave the decoder; anything else (RangeError, TypeError) is a finding. */
function decodeOrBlobError(decode: () => unknown): 'ok' | 'rejected' {
  try {
    decode();
    return 'ok';
  } catch (e) {
    if (e instanceof BlobError) return 'rejected';
    throw e;
  }
}

/** `depth` TABLEs inside each other with empty names: 8 bytes a level, the cheapest nesting there is. */
function nested(depth: number, type = 2): Uint8Array {
  const b = new Uint8Array(8 * depth);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < depth; i++) dv.setUint32(8 * i, 0x80000000 | (type << 24) | (b.length - 8 * i));
  return b;
}

/** A well-formed blobmsg tree: the seed the mutations start from. */
const node: fc.Memo<BlobmsgNode> = fc.memo(
  (n): fc.Arbitrary<BlobmsgNode> =>
    n <= 1
      ? fc
          .oneof(
            fc.record({ name: fc.string({ maxLength: 8 }), type: fc.constant('STRING' as const), value: fc.string() }),
            fc.record({ name: fc.string({ maxLength: 8 }), type: fc.constant('INT32' as const), value: fc.integer() }),
            fc.record({
              name: fc.string({ maxLength: 8 }),
              type: fc.constant('INT8' as const),
              value: fc.integer({ min: 0, max: 255 }),
            }),
          )
          .map((x): BlobmsgNode => x)
      : fc
          .record({
            name: fc.string({ maxLength: 8 }),
            type: fc.constantFrom('TABLE' as const, 'ARRAY' as const),
            value: fc.array(node(n - 1), { maxLength: 4 }),
          })
          .map((x): BlobmsgNode => x),
);

function encode(n: BlobmsgNode): Uint8Array {
  const w = new BlobWriter();
  writeBlobmsg(w, n);
  return w.finish();
}

describe('blobmsg decoder under hostile input', () => {
  it(
    'throws only BlobError on random bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          decodeOrBlobError(() => decodeBlobmsgList(bytes));
          decodeOrBlobError(() => decodeMessage(bytes));
        }),
        budget(3000),
      );
    },
    timeoutFor(5000),
  );

  it(
    'throws only BlobError on mutated valid trees (bit flips, truncation, length fields set huge)',
    () => {
      fc.assert(
        fc.property(
          node(4),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
          fc.nat(),
          fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x00ffffff, 0x00fffff0, 0x7fffffff, 0xffffffff, 3, 0))),
          (tree, flips, cut, huge) => {
            const valid = encode(tree);
            expect(decodeOrBlobError(() => decodeBlobmsgList(valid))).toBe('ok');
            const m = Uint8Array.from(valid);
            for (const [pos, bit] of flips) m[pos % m.length]! ^= 1 << bit;
            if (huge) {
              const at = (huge[0] % Math.max(1, m.length >> 2)) * 4;
              if (at + 4 <= m.length) new DataView(m.buffer).setUint32(at, huge[1]);
            }
            decodeOrBlobError(() => decodeBlobmsgList(m));
            decodeOrBlobError(() => decodeBlobmsgList(m.subarray(0, cut % (m.length + 1))));
          },
        ),
        budget(2000),
      );
    },
    timeoutFor(5000),
  );

  it('decodes nesting up to BLOBMSG_MAX_DEPTH and rejects deeper with BlobError, quickly', () => {
    // Found by this test: 20000 levels overflowed the stack (RangeError). A 1 MiB ubus message (ubusd's limit)
    // holds 131072 levels of empty tables.
    for (const type of [1, 2]) {
      expect(decodeOrBlobError(() => decodeBlobmsgList(nested(BLOBMSG_MAX_DEPTH, type)))).toBe('ok');
      for (const depth of [BLOBMSG_MAX_DEPTH + 1, 20_000, 131_072]) {
        const started = performance.now();
        expect(() => decodeBlobmsgList(nested(depth, type))).toThrow(BlobError);
        expect(performance.now() - started).toBeLessThan(2000);
      }
    }
  });
});
