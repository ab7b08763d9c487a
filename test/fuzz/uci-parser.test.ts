import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseUci, serializeUci, UciError, UciParseError } from 'uci-parser';
import { describe, expect, it } from 'vitest';
import { budget, timeoutFor } from './budget.js';
import { edit, mutate } from './mutate.js';

const VECTORS = '/work/shared/vectors/uci';
const seeds: Uint8Array[] = readdirSync(VECTORS)
  .map((d) => join(VECTORS, d, 'input'))
  .flatMap((f) => {
    try {
      return [readFileSync(f)];
    } catch {
      return [];
    }
  });

function lineCount(b: Uint8Array): number {
  let n = 1;
  for (const c of b) if (c === 10) n++;
  return n;
}

/** Parses; only UciError may escape, and a parse error must point at a line of the input. */
function parseChecked(bytes: Uint8Array): ReturnType<typeof parseUci> | undefined {
  try {
    return parseUci(bytes);
  } catch (e) {
    if (!(e instanceof UciError)) throw e;
    if (e instanceof UciParseError) {
      expect(e.physicalLine).toBeGreaterThanOrEqual(1);
      expect(e.physicalLine).toBeLessThanOrEqual(lineCount(bytes));
      expect(e.message).toMatch(/at line \d+, byte \d+/);
    }
    return undefined;
  }
}

describe('uci-parser under hostile input', () => {
  it('has the recorded OpenWrt vectors to mutate', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(10);
  });

  it(
    'throws only UciError, with a line inside the file, on random bytes',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }),
            fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
          ),
          (bytes) => {
            parseChecked(bytes);
          },
        ),
        budget(1500),
      );
    },
    timeoutFor(5000),
  );

  it(
    'throws only UciError on mutated real files; what parses serializes to text that parses the same',
    () => {
      fc.assert(
        fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 6 }), (which, edits) => {
          const bytes = mutate(seeds[which % seeds.length]!, edits);
          const pkg = parseChecked(bytes);
          // libuci writes a section type unquoted (`config t!#s`), so a type holding UCI metacharacters does not
          // survive export: found by `make fuzz`, and libuci behaves the same. Round-trip only plain types.
          if (!pkg?.sections.every((s) => /^[A-Za-z0-9_-]+$/.test(s.type))) return;
          const again = parseUci(serializeUci(pkg));
          expect(again.sections.map((s) => [s.type, s.name, s.options.map((o) => [o.name, o.value])])).toEqual(
            pkg.sections.map((s) => [s.type, s.name, s.options.map((o) => [o.name, o.value])]),
          );
        }),
        budget(1500),
      );
    },
    timeoutFor(5000),
  );

  it('parses a 10000-line file and a 1 MiB value in bounded time', () => {
    const big = `config a 'x'\n${"\toption o 'v'\n".repeat(10_000)}`;
    let t = performance.now();
    expect(parseUci(big).sections[0]!.options.length).toBe(1);
    expect(performance.now() - t).toBeLessThan(3000);
    t = performance.now();
    const long = `config a 'x'\n\toption o '${'v'.repeat(1 << 20)}'\n`;
    parseChecked(Buffer.from(long));
    expect(performance.now() - t).toBeLessThan(3000);
  });
});
