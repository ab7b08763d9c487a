import { encodeBytes } from './bytes.js';
import { UciParseError } from './errors.js';
import { anonymousSectionName } from './hash.js';
import { LineLexer } from './lexer.js';
import { UciPackage, type UciSection } from './model.js';
import { isValidName, isValidPackageStatementName, isValidType } from './validate.js';

export interface ParseOptions {
  /** Package name (the config file's name). Defaults to the file's `package` statement, else ''. */
  name?: string;
  /** libuci's strict mode (the default, as in `uci`): any error fails the parse. When false, like `uci -S`, a
   * line with an error is skipped and reported through `onError`. */
  strict?: boolean;
  onError?: (err: UciParseError) => void;
}

/**
 * Parse UCI text exactly as libuci's `uci_import` does for a file in /etc/config (single-package mode, strict by
 * default). Throws UciParseError with libuci's reason, line and byte.
 */
export function parseUci(input: string | Uint8Array, options: ParseOptions = {}): UciPackage {
  const bytes = typeof input === 'string' ? encodeBytes(input) : input;
  const strict = options.strict ?? true;
  const pkg = new UciPackage(options.name ?? '');
  let named = options.name !== undefined;
  let section: UciSection | undefined;
  const lx = new LineLexer(bytes);

  const parseConfig = (): void => {
    if (!lx.skipKeyword()) lx.error('config without name');
    const line = lx.physicalLineAt(lx.pos);
    const ofsType = lx.nextArg(true);
    if (!isValidType(lx.str(ofsType))) lx.error('invalid character in type field');
    const ofsName = lx.nextArg(false, isValidName);
    assertEol();
    const type = lx.str(ofsType);
    const name = lx.str(ofsName);
    if (name === '') {
      pkg.nSection++;
      section = { name: anonymousSectionName(pkg.nSection, type), type, anonymous: true, options: [], line };
      pkg.sections.push(section);
      return;
    }
    const existing = pkg.section(name);
    if (existing) {
      if (strict && existing.type !== type)
        lx.error('section of different type overwrites prior section with same name');
      existing.type = type;
      section = existing;
      return;
    }
    pkg.nSection++;
    section = { name, type, anonymous: false, options: [], line };
    pkg.sections.push(section);
  };

  const parseOption = (list: boolean): void => {
    if (!section) lx.error('option/list command found before the first section');
    if (!lx.skipKeyword()) lx.error('option without name');
    const line = lx.physicalLineAt(lx.pos);
    const ofsName = lx.nextArg(true, isValidName);
    const ofsValue = lx.nextArg(false);
    assertEol();
    const name = lx.str(ofsName);
    const value = lx.str(ofsValue);
    const s = section as UciSection;
    const idx = s.options.findIndex((o) => o.name === name);
    const old = idx >= 0 ? s.options[idx] : undefined;
    if (list) {
      if (!old) s.options.push({ name, value: [value], line });
      else if (Array.isArray(old.value)) {
        old.value.push(value);
        old.line = line;
      } else s.options[idx] = { name, value: [old.value, value], line };
      return;
    }
    // libuci's uci_set ignores an empty value here: only a complete lookup (the CLI's) turns '' into a delete.
    if (value === '') return;
    if (old) s.options[idx] = { name, value, line };
    else s.options.push({ name, value, line });
  };

  const parsePackage = (): void => {
    if (!lx.skipKeyword()) lx.error('package without name');
    const ofsName = lx.nextArg(true, isValidPackageStatementName);
    assertEol();
    if (!named) {
      pkg.name = lx.str(ofsName);
      named = true;
    }
  };

  const assertEol = (): void => {
    lx.skipWhitespace();
    const ofs = lx.nextArg(false);
    if (lx.at(ofs) !== 0 && strict) lx.error('too many arguments');
  };

  const parseLine = (): void => {
    lx.skipWhitespace();
    for (;;) {
      const w = lx.strtok();
      if (w < 0) return;
      const word = lx.str(w);
      const c = word[0];
      if (c === '#') return;
      const rest = word.slice(1);
      if (c === 'p' && (rest === '' || rest === 'ackage')) parsePackage();
      else if (c === 'c' && (rest === '' || rest === 'onfig')) parseConfig();
      else if (c === 'o' && (rest === '' || rest === 'ption')) parseOption(false);
      else if (c === 'l' && (rest === '' || rest === 'ist')) parseOption(true);
      else lx.error('invalid command');
    }
  };

  while (!lx.eof) {
    lx.pos = 0;
    lx.getln(0);
    if (lx.at(0) === 0) continue;
    try {
      parseLine();
    } catch (err) {
      if (strict || !(err instanceof UciParseError)) throw err;
      options.onError?.(err);
    }
  }
  return pkg;
}
