import fc from 'fast-check';
import {
  anonymousSectionName,
  exportPackage,
  formatDelta,
  loadDelta,
  parseUci,
  serializeUci,
  type UciOption,
  UciPackage,
  type UciSection,
} from 'uci-parser';
import { describe, expect, it } from 'vitest';

/** Values full of what the lexer treats specially, plus arbitrary Unicode (no NUL: C strings cannot hold it). */
const nasty = fc.constantFrom(
  "'",
  '"',
  '\\',
  '\n',
  '\r\n',
  '\t',
  ' ',
  '#',
  ';',
  "'\\''",
  '\\\n',
  'é',
  '\u{1F680}',
  '$x',
  '=',
);
const value = fc
  .array(fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 6 })
  .map((parts) => parts.join(''))
  .filter((v) => !v.includes('\0'));
const name = fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/).filter((n) => !n.startsWith('cfg'));
// libuci writes section types unquoted and escapes nothing but `'`, so a type holding a quote, `\\`, `#` or `;`
// (all legal in a type) does not survive its own export; the generator stays within what uci itself round-trips.
const type = fc.stringMatching(/^[!-~]{1,10}$/).filter((t) => !/['"\\#;]/.test(t));
// Values given to the CLI or read from delta files must not hold control characters other than tab, CR, LF.
const isCliText = (v: string) => [...v].every((c) => c.charCodeAt(0) >= 32 || c === '\t' || c === '\n' || c === '\r');

const option = fc.tuple(
  name,
  fc.oneof(
    value.filter((v) => v !== ''),
    fc.array(value, { minLength: 1, maxLength: 4 }),
  ),
);
const section = fc.record({
  name: fc.option(name, { nil: undefined }),
  type,
  options: fc.uniqueArray(option, { selector: (o) => o[0], maxLength: 5 }),
});
const tree = fc.uniqueArray(section, { selector: (s) => s.name ?? Symbol(), maxLength: 6 });

function build(
  sections: { name: string | undefined; type: string; options: [string, string | string[]][] }[],
): UciPackage {
  const p = new UciPackage('test');
  for (const s of sections) {
    p.nSection++;
    const options: UciOption[] = s.options.map(([n, v]) => ({ name: n, value: v }));
    const sec: UciSection = {
      name: s.name ?? anonymousSectionName(p.nSection, s.type),
      type: s.type,
      anonymous: s.name === undefined,
      options,
    };
    p.sections.push(sec);
  }
  return p;
}

/** The tree without line numbers, for comparison. */
function shape(p: UciPackage) {
  return p.sections.map((s) => ({
    ...s,
    line: undefined,
    options: s.options.map((o) => ({ name: o.name, value: o.value })),
  }));
}

describe('uci-parser: round trips', () => {
  it('parse(serialize(x)) == x for random trees with nasty values', () => {
    fc.assert(
      fc.property(tree, (sections) => {
        const p = build(sections);
        const text = serializeUci(p);
        const back = parseUci(text, { name: 'test' });
        expect(shape(back)).toEqual(shape(p));
        expect(exportPackage(parseUci(exportPackage(p), { name: 'test' }))).toBe(exportPackage(p));
      }),
      { numRuns: 300 },
    );
  });

  it('a delta file written for any values replays to the same tree', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(
          fc.tuple(
            name,
            value.filter((v) => v !== '' && isCliText(v)),
          ),
          { maxLength: 6 },
        ),
        (sections, sets) => {
          const target = build(sections);
          const base = build(sections);
          const delta = [];
          for (const [i, [opt, v]] of sets.entries()) {
            const s = target.sections[i % Math.max(target.sections.length, 1)];
            if (!s) break;
            const o = s.options.find((x) => x.name === opt);
            if (o) o.value = v;
            else s.options.push({ name: opt, value: v });
            delta.push({ cmd: 'change' as const, section: s.name, option: opt, value: v });
          }
          const text = formatDelta('test', delta);
          expect(loadDelta(base, text)).toBe(delta.length);
          expect(shape(base)).toEqual(shape(target));
          expect(base.savedDelta).toEqual(delta);
        },
      ),
      { numRuns: 200 },
    );
  });
});
