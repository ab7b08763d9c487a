/**
 * Editing one UCI file in place through uci-parser, the way `uci -c DIR ... ; uci commit` would: parse (strict),
 * change the tree with libuci's operations, write back to a temp file in the same directory and rename it over the
 * original, keeping its mode. Like libuci, comments and formatting are not preserved.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  findOption,
  serializeUci,
  UciContext,
  UciPackage,
  type UciPtr,
  type UciSection,
  uciAddList,
  uciDelete,
  uciSet,
} from 'uci-parser';

export interface UciFile {
  pkg: UciPackage;
  /** Writes the package back (temp file + rename). */
  commit(): void;
  /** The text `commit` would write. */
  text(): string;
}

/** Opens a config file; a missing one starts empty (and is created with mode 0600 on commit). */
export function openUciFile(path: string): UciFile {
  const ctx = new UciContext({ confdir: dirname(path), conf2dir: null });
  let pkg: UciPackage;
  if (existsSync(path)) pkg = ctx.loadFile(path, basename(path));
  else {
    pkg = new UciPackage(basename(path));
    pkg.path = path;
  }
  return {
    pkg,
    text: () => serializeUci(pkg),
    commit: () => {
      // libuci's commit only rewrites existing files; create it first, 0600 so key material is never world-readable.
      if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
      ctx.commit(pkg);
    },
  };
}

function ptr(pkg: UciPackage, section: string, option?: string, value?: string): UciPtr {
  const s = pkg.section(section);
  const p: UciPtr = { package: pkg.name, section, extended: false, complete: false, p: pkg };
  if (option !== undefined) p.option = option;
  if (value !== undefined) p.value = value;
  if (s) p.s = s;
  const o = s && option !== undefined ? findOption(s, option) : undefined;
  if (o) p.o = o;
  p.complete = s !== undefined && (option === undefined || o !== undefined);
  return p;
}

/** `uci set pkg.NAME=TYPE`: creates the named section (or changes its type). */
export function ensureSection(pkg: UciPackage, name: string, type: string): UciSection {
  uciSet(ptr(pkg, name, undefined, type));
  return pkg.section(name)!;
}

/** `uci set pkg.sec.opt=value` (a list is replaced by the single value). */
export function setOption(pkg: UciPackage, section: string, option: string, value: string): void {
  const existing = pkg.section(section) && findOption(pkg.section(section)!, option);
  if (existing && Array.isArray(existing.value)) uciDelete(ptr(pkg, section, option));
  uciSet(ptr(pkg, section, option, value));
}

/** `uci delete pkg.sec.opt` when present. */
export function deleteOption(pkg: UciPackage, section: string, option: string): void {
  const p = ptr(pkg, section, option);
  if (p.complete) uciDelete(p);
}

/** `uci add_list pkg.sec.opt=value` for each value. */
export function addList(pkg: UciPackage, section: string, option: string, values: readonly string[]): void {
  for (const v of values) uciAddList(ptr(pkg, section, option, v));
}

/** A string option's value (a list gives undefined: the options we edit are plain). */
export function getOption(pkg: UciPackage, section: string, option: string): string | undefined {
  const s = pkg.section(section);
  const o = s && findOption(s, option);
  return o && typeof o.value === 'string' ? o.value : undefined;
}
