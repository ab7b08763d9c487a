import fc from 'fast-check';

/** Pieces a UCI mutation splices in: the syntax's own metacharacters are where parsers break. */
const TOKENS = [
  "'",
  '"',
  '\\',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '#',
  ';',
  '\0',
  'config ',
  'option ',
  'list ',
  'package ',
  '\xff',
  '\u00e9',
  "'1'",
  '0',
  '-1',
  '65536',
  '99999999999999999999',
  '::',
  '/33',
  '10.0.0.0/8',
];

export type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'dup'; at: number; len: number };

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);

/** Applies edits to the UTF-8 bytes of `base`. */
export function mutate(base: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    if (e.kind === 'flip') {
      if (b.length > 0) b[at % b.length]! ^= 1 << e.bit;
    } else if (e.kind === 'insert') {
      const t = Buffer.from(e.text, 'latin1');
      b = Buffer.concat([b.subarray(0, at), t, b.subarray(at)]);
    } else if (e.kind === 'delete') {
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
    } else {
      b = Buffer.concat([b.subarray(0, at + e.len), b.subarray(at)]);
    }
  }
  return b;
}
