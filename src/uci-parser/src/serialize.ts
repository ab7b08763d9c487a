import { quoteValue } from './delta.js';
import type { DeltaEntry, UciOption, UciPackage, UciSection } from './model.js';

/** libuci's uci_escape: only `'` is escaped (as `'\''`); the caller adds the surrounding quotes. */
function esc(s: string): string {
  return s.replace(/'/g, "'\\''");
}

export interface ExportOptions {
  /** Write the `package NAME` line (`uci export` does, the committed file does not). Default true. */
  header?: boolean;
  /** Name anonymous sections too (`uci -n export`). Default false. */
  nameAnonymous?: boolean;
}

/** Byte-for-byte what `uci export` prints; with `header: false`, what `uci commit` writes to the file. */
export function exportPackage(p: UciPackage, options: ExportOptions = {}): string {
  let out = options.header === false ? '' : `package ${esc(p.name)}\n`;
  for (const s of p.sections) {
    out += `\nconfig ${esc(s.type)}`;
    if (!s.anonymous || options.nameAnonymous) out += ` '${esc(s.name)}'`;
    out += '\n';
    for (const o of s.options) {
      if (Array.isArray(o.value)) {
        for (const item of o.value) out += `\tlist ${esc(o.name)} '${esc(item)}'\n`;
      } else out += `\toption ${esc(o.name)} '${esc(o.value)}'\n`;
    }
  }
  return `${out}\n`;
}

/** The file text `uci commit` writes (no package line, starts with an empty line, comments gone). */
export function serializeUci(p: UciPackage): string {
  return exportPackage(p, { header: false });
}

export interface ShowOptions {
  /** Name anonymous sections `@type[i]` (uci's default); false prints their `cfgXXXXXX` ids, like `uci -X`. */
  extended?: boolean;
  /** Separator between list items (`uci -d`), default one space. */
  delimiter?: string;
}

/** The value part of a `uci show` / `uci get` line (without the newline). */
export function formatValue(o: UciOption, quote: boolean, delimiter = ' '): string {
  if (!Array.isArray(o.value)) return quote ? quoteValue(o.value) : o.value;
  return o.value.map((item) => (!quote && !/[ \t\r\n]/.test(item) ? item : quoteValue(item))).join(delimiter);
}

/** `uci show pkg.sec.opt` (the section is named by its real name). */
export function showOption(p: UciPackage, s: UciSection, o: UciOption, ref = s.name, delimiter = ' '): string {
  return `${p.name}.${ref}.${o.name}=${formatValue(o, true, delimiter)}\n`;
}

/** `uci show pkg.sec`. */
export function showSection(p: UciPackage, s: UciSection, ref = s.name, delimiter = ' '): string {
  return `${p.name}.${ref}=${s.type}\n${s.options.map((o) => showOption(p, s, o, ref, delimiter)).join('')}`;
}

/** `uci show pkg`: every section, anonymous ones as `@type[i]` where i counts all sections of that type. */
export function showPackage(p: UciPackage, options: ShowOptions = {}): string {
  const extended = options.extended ?? true;
  const counters = new Map<string, number>();
  let out = '';
  for (const s of p.sections) {
    let ref = s.name;
    if (extended) {
      const idx = counters.get(s.type) ?? 0;
      counters.set(s.type, idx + 1);
      if (s.anonymous) ref = `@${s.type}[${idx}]`;
    }
    out += showSection(p, s, ref, options.delimiter);
  }
  return out;
}

/** How `uci show` / `uci changes` refer to a section: `@type[i]` for anonymous ones. */
export function sectionRef(p: UciPackage, s: UciSection): string {
  if (!s.anonymous) return s.name;
  const idx = p.sections.filter((x) => x.type === s.type).indexOf(s);
  return `@${s.type}[${idx}]`;
}

/** `uci changes pkg`: the loaded delta, one line each. */
export function formatChanges(pkg: string, entries: DeltaEntry[]): string {
  let out = '';
  for (const h of entries) {
    const prefix = h.cmd === 'remove' ? '-' : '';
    const op = h.cmd === 'list_add' ? '+=' : h.cmd === 'list_del' ? '-=' : '=';
    out += `${prefix}${pkg}.${h.section}`;
    if (h.option !== undefined) out += `.${h.option}`;
    if (h.cmd !== 'remove') out += op + quoteValue(h.value ?? '');
    out += '\n';
  }
  return out;
}
