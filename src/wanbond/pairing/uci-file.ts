/**
 * Editing one UCI file in place through uci-parser, the way `uci -c DIR ... ; uci commit` would: parse (strict),
 * change the tree with libuci's operations, write back to a temp file in the same directory and rename it over the
 * original, keeping its mode. Like libuci, comments and formatting are not preserved. Also the router's key file,
 * written the same way (temp file + rename) but private from its first byte.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** What a key file holds: `exists` false when there is no file, `key` undefined when it is missing or blank. */
export function readKeyFile(path: string): { exists: boolean; key?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { exists: false };
    throw err;
  }
  const key = text.trim();
  return key === '' ? { exists: true } : { exists: true, key };
}

/**
 * Writes a private key to `path` (followed by a newline): mode 0600 from the moment the temp file is created (the
 * mode given to open(2), the same effect as umask 077 without changing the process's umask under a running
 * daemon), synced, then renamed over the old file, so no reader ever sees a partial or readable key. A missing
 * directory is created 0700. A symlinked key file keeps its link: its target is replaced.
 */
export function writeKeyFile(path: string, key: string): void {
  const target = existsSync(path) ? realpathSync(path) : path;
  const dir = dirname(target);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, `${key}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
