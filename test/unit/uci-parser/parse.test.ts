import {
  anonymousSectionName,
  decodeBytes,
  encodeBytes,
  exportPackage,
  lookupInPackage,
  optionBoolean,
  optionList,
  optionString,
  parsePtr,
  parseUci,
  parseUciBoolean,
  sectionsByType,
  showPackage,
  UciParseError,
} from 'uci-parser';
import { describe, expect, it } from 'vitest';

function parseError(text: string): UciParseError {
  try {
    parseUci(text, { name: 'test' });
  } catch (err) {
    expect(err).toBeInstanceOf(UciParseError);
    return err as UciParseError;
  }
  throw new Error('expected a parse error');
}

describe('uci-parser: parsing rules', () => {
  it('joins quoted pieces and applies each quoting style', () => {
    const p = parseUci(
      "config t 's'\n\toption a 'x'\"y\"z\n\toption b \"a\\\"b\\\\c\\n\"\n\toption c 'a\\b'\n\toption d foo\\ bar\\#x\n",
      { name: 'test' },
    );
    expect(p.section('s')!.options.map((o) => o.value)).toEqual(['xyz', 'a"b\\cn', 'a\\b', 'foo bar#x']);
  });

  it('ends a line at # outside quotes and splits commands on ;', () => {
    const p = parseUci(
      "config t 's' # c\n\toption a foo#bar\n\toption b 'x' ; option c 'y'\n\toption d 1;option e 2\n",
      {
        name: 'test',
      },
    );
    expect(p.section('s')!.options).toEqual([
      { name: 'a', value: 'foo', line: 2 },
      { name: 'b', value: 'x', line: 3 },
      { name: 'c', value: 'y', line: 3 },
      { name: 'd', value: '1', line: 4 },
    ]);
  });

  it('keeps newlines in quoted values, joins lines after a backslash and accepts CRLF', () => {
    const p = parseUci("config t 's'\r\n\toption a 'l1\nl2'\r\n\toption b one\\\ntwo\r\n\toption c x\r\n", {
      name: 'test',
    });
    expect(p.section('s')!.options.map((o) => [o.name, o.value, o.line])).toEqual([
      ['a', 'l1\nl2', 2],
      ['b', 'onetwo', 4],
      ['c', 'x', 6],
    ]);
  });

  it('ignores empty option values in files, keeps empty list items, converts between option and list', () => {
    const p = parseUci(
      "config t 's'\n\toption a 'v'\n\toption a ''\n\toption b\n\tlist l ''\n\toption o 1\n\tlist o 2\n",
      {
        name: 'test',
      },
    );
    expect(p.section('s')!.options.map((o) => [o.name, o.value])).toEqual([
      ['a', 'v'],
      ['l', ['']],
      ['o', ['1', '2']],
    ]);
  });

  it('merges repeated named sections and rejects a type change', () => {
    const p = parseUci("config t 'a'\n\toption x 1\nconfig t 'b'\nconfig t 'a'\n\toption y 2\n", { name: 'test' });
    expect(p.sections.map((s) => [s.name, s.options.length, s.line])).toEqual([
      ['a', 2, 1],
      ['b', 0, 3],
    ]);
    const err = parseError("config t 'a'\nconfig u 'a'\n");
    expect(err.message).toBe(
      'Parse error (section of different type overwrites prior section with same name) at line 2, byte 13',
    );
  });

  it('reports errors with libuci wording, line and byte', () => {
    expect(parseError("config t 's'\n\toption a b c\n").message).toBe(
      'Parse error (too many arguments) at line 2, byte 14',
    );
    expect(parseError("config t 'bad.name'\n").reason).toBe('invalid character in name field');
    expect(parseError('config "a b"\n').reason).toBe('invalid character in type field');
    expect(parseError("config ''\n").reason).toBe('insufficient arguments');
    expect(parseError('config t\n\tfoo bar\n').reason).toBe('invalid command');
    expect(parseError('option a 1\n').reason).toBe('option/list command found before the first section');
    const eof = parseError("config t 's'\n\toption a \"never\n\nclosed\n");
    expect([eof.reason, eof.line, eof.physicalLine]).toEqual(['EOF with unterminated "', 4, 4]);
  });

  it('in non-strict mode skips bad lines and reports them', () => {
    const errors: string[] = [];
    const p = parseUci("config t 's'\n\toption a 1 2\n\tbogus\n\toption b 2\n", {
      name: 'test',
      strict: false,
      onError: (e) => errors.push(e.reason),
    });
    expect(p.section('s')!.options.map((o) => o.name)).toEqual(['a', 'b']);
    expect(errors).toEqual(['invalid command']);
  });

  it('names anonymous sections as libuci does', () => {
    expect(anonymousSectionName(1, 'defaults')).toBe('cfg01e63d');
    expect(anonymousSectionName(1, 'dnsmasq')).toBe('cfg01411c');
    expect(anonymousSectionName(0x100, 'rule')).toBe('cfg10092bd');
    const p = parseUci("config globals 'globals'\nconfig rule\nconfig rule\n", { name: 'test' });
    expect(p.sections.map((s) => s.name)).toEqual(['globals', 'cfg0292bd', 'cfg0392bd']);
    expect(showPackage(p)).toBe('test.globals=globals\ntest.@rule[0]=rule\ntest.@rule[1]=rule\n');
  });

  it('resolves @type[n], @type[-1] and @[n]', () => {
    const p = parseUci("config a 'x'\nconfig b\nconfig a\nconfig b 'named'\n", { name: 'test' });
    const at = (ref: string) => lookupInPackage(p, parsePtr(`test.${ref}`)).s?.name;
    expect(at('@a[0]')).toBe('x');
    expect(at('@a[-1]')).toBe(p.sections[2]!.name);
    expect(at('@b[1]')).toBe('named');
    expect(at('@[1]')).toBe(p.sections[1]!.name);
    expect(at('@b[5]')).toBeUndefined();
    expect(() => at('@b[x]')).toThrow('Invalid argument');
  });

  it('keeps bytes that are not UTF-8 through parse and export', () => {
    const raw = Buffer.concat([
      Buffer.from("config t 's'\n\toption a '"),
      Buffer.from([0xff, 0xc3, 0xa9, 0x80]),
      Buffer.from("'\n"),
    ]);
    const p = parseUci(raw, { name: 'test' });
    expect(p.section('s')!.options[0]!.value).toBe('\udcffé\udc80');
    const out = Buffer.from(encodeBytes(exportPackage(p, { header: false })));
    expect(out.toString('latin1')).toBe(
      `\nconfig t 's'\n\toption a '${Buffer.from([0xff, 0xc3, 0xa9, 0x80]).toString('latin1')}'\n\n`,
    );
    expect(decodeBytes(encodeBytes('a\u{1F680}b'))).toBe('a\u{1F680}b');
  });

  it('gives typed access: sections by type, strings, lists, booleans', () => {
    const p = parseUci(
      "config link 'a'\n\toption enabled 'yes'\n\tlist ip '1'\n\tlist ip '2'\nconfig link 'b'\n\toption enabled 'off'\n\toption ip '3'\n",
      { name: 'test' },
    );
    const [a, b] = sectionsByType(p, 'link');
    expect([
      optionBoolean(a!, 'enabled', false),
      optionBoolean(b!, 'enabled', true),
      optionBoolean(b!, 'x', true),
    ]).toEqual([true, false, true]);
    expect(optionList(a!, 'ip')).toEqual(['1', '2']);
    expect(optionList(b!, 'ip')).toEqual(['3']);
    expect(optionString(a!, 'ip')).toBe('1 2');
    expect(['1', 'YES', 'On', 'true', 'enabled'].map(parseUciBoolean)).toEqual([true, true, true, true, true]);
    expect(['0', 'no', 'off', 'false', 'disabled'].map(parseUciBoolean)).toEqual([false, false, false, false, false]);
    expect(parseUciBoolean('maybe')).toBeUndefined();
  });
});
