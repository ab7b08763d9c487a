import { encodeBytes } from './bytes.js';
import { UCI_ERR_INVAL, UCI_ERR_NOTFOUND, UCI_ERR_PARSE, UciError } from './errors.js';
import { LineLexer } from './lexer.js';
import type { DeltaCommand, DeltaEntry, UciPackage } from './model.js';
import { strtoulInt, uciAddList, uciDelete, uciDelList, uciRename, uciReorder, uciSet } from './ops.js';
import { lookupInPackage, parsePtr } from './ptr.js';
import { isValidName } from './validate.js';

/** Delta file line prefixes (libuci's uci_command_char); a plain change has none. */
const PREFIX: Record<DeltaCommand, string> = {
  add: '+',
  remove: '-',
  change: '',
  rename: '@',
  reorder: '^',
  list_add: '|',
  list_del: '~',
};

/** Single-quote a value the way libuci writes it: `'` becomes `'\''`. */
export function quoteValue(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/** One delta line as uci_save writes it (with its newline). */
export function formatDeltaEntry(pkg: string, h: DeltaEntry): string {
  let line = `${PREFIX[h.cmd]}${pkg}.${h.section}`;
  if (h.option !== undefined) line += `.${h.option}`;
  if (h.cmd === 'remove' && h.value === undefined) return `${line}\n`;
  return `${line}=${quoteValue(h.value ?? '')}\n`;
}

export function formatDelta(pkg: string, entries: DeltaEntry[]): string {
  return entries.map((h) => formatDeltaEntry(pkg, h)).join('');
}

export interface ParsedDeltaLine {
  entry: DeltaEntry;
  package: string;
}

/** uci_parse_delta_tuple on the current line of `lx`: one argument, a command prefix, a checked pointer. */
function parseTuple(lx: LineLexer): ParsedDeltaLine {
  const ofs = lx.nextArg(false);
  if (lx.cur !== 0) throw new UciError(UCI_ERR_INVAL);
  let arg = lx.str(ofs);
  let cmd: DeltaCommand = 'change';
  for (const [name, prefix] of Object.entries(PREFIX) as [DeltaCommand, string][]) {
    if (prefix !== '' && arg.startsWith(prefix)) {
      cmd = name;
      arg = arg.slice(1);
      break;
    }
  }
  const ptr = parsePtr(arg);
  if (ptr.section === undefined || ptr.extended) throw new UciError(UCI_ERR_INVAL);
  if (cmd !== 'remove' && ptr.value === undefined) throw new UciError(UCI_ERR_INVAL);
  if (cmd === 'reorder' && ptr.option !== undefined) throw new UciError(UCI_ERR_INVAL);
  if (cmd === 'rename' && !isValidName(ptr.value!)) throw new UciError(UCI_ERR_INVAL);
  if ((cmd === 'list_add' || cmd === 'list_del') && ptr.option === undefined) throw new UciError(UCI_ERR_INVAL);
  const entry: DeltaEntry = { cmd, section: ptr.section };
  if (ptr.option !== undefined) entry.option = ptr.option;
  if (ptr.value !== undefined) entry.value = ptr.value;
  return { entry, package: ptr.package };
}

/**
 * Read every well-formed line of a delta file; malformed lines are skipped, as libuci does when loading, or make
 * it throw with `stopOnError` (what `uci revert` does).
 */
export function parseDeltaLines(input: string | Uint8Array, stopOnError = false): ParsedDeltaLine[] {
  const bytes = typeof input === 'string' ? encodeBytes(input) : input;
  const lx = new LineLexer(bytes);
  const out: ParsedDeltaLine[] = [];
  while (!lx.eof) {
    lx.pos = 0;
    lx.getln(0);
    if (lx.at(0) === 0) continue;
    try {
      out.push(parseTuple(lx));
    } catch (err) {
      if (stopOnError || !(err instanceof UciError)) throw err;
    }
  }
  return out;
}

/** Replay one change on a package without recording it (uci_parse_delta_line). Throws when it cannot apply. */
export function applyDeltaEntry(p: UciPackage, h: DeltaEntry): void {
  const ptr = lookupInPackage(p, {
    package: p.name,
    section: h.section,
    ...(h.option !== undefined ? { option: h.option } : {}),
    ...(h.value !== undefined ? { value: h.value } : {}),
    extended: false,
    complete: false,
  });
  switch (h.cmd) {
    case 'reorder':
      if (!ptr.complete || !ptr.s) throw new UciError(UCI_ERR_NOTFOUND);
      uciReorder(p, ptr.s, strtoulInt(h.value ?? ''), true);
      break;
    case 'rename':
      uciRename(ptr, true);
      break;
    case 'remove':
      uciDelete(ptr, true);
      break;
    case 'list_add':
      uciAddList(ptr, true);
      break;
    case 'list_del':
      uciDelList(ptr, true);
      break;
    case 'add':
      uciSet(ptr, true);
      if (ptr.option === undefined && ptr.s) ptr.s.anonymous = true;
      break;
    case 'change':
      uciSet(ptr, true);
      break;
  }
}

/**
 * Load a delta file into a package the way libuci does on every load: each line for this package is remembered in
 * `savedDelta` (what `uci changes` shows) and applied; lines that fail to parse or apply are skipped.
 * Returns the number of lines that parsed and applied.
 */
export function loadDelta(p: UciPackage, input: string | Uint8Array): number {
  const bytes = typeof input === 'string' ? encodeBytes(input) : input;
  const lx = new LineLexer(bytes);
  let changes = 0;
  while (!lx.eof) {
    lx.pos = 0;
    lx.getln(0);
    if (lx.at(0) === 0) continue;
    try {
      const { entry, package: name } = parseTuple(lx);
      if (name !== p.name) throw new UciError(UCI_ERR_PARSE);
      p.savedDelta.push(entry);
      applyDeltaEntry(p, entry);
      changes++;
    } catch (err) {
      if (!(err instanceof UciError)) throw err;
    }
  }
  return changes;
}
