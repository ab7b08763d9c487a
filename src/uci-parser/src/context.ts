import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeBytes } from './bytes.js';
import { formatDelta, formatDeltaEntry, loadDelta, parseDeltaLines } from './delta.js';
import {
  UCI_ERR_DUPLICATE,
  UCI_ERR_INVAL,
  UCI_ERR_IO,
  UCI_ERR_NOTFOUND,
  UciError,
  type UciParseError,
} from './errors.js';
import type { DeltaEntry, UciPackage } from './model.js';
import { parseUci } from './parse.js';
import { lookupInPackage, parsePtr, type UciPtr } from './ptr.js';
import { serializeUci } from './serialize.js';
import { isValidPackageName } from './validate.js';

export const DEFAULT_CONFDIR = '/etc/config';
export const DEFAULT_CONF2DIR = '/var/run/uci';
export const DEFAULT_SAVEDIR = '/tmp/.uci';

export interface UciContextOptions {
  /** Config files (`uci -c`), default /etc/config. */
  confdir?: string;
  /** Override dir checked first (`uci -C`), default /var/run/uci; null to disable. */
  conf2dir?: string | null;
  /** Where changes are saved and first looked for, default /tmp/.uci (`uci -t` is `setSavedir`). */
  savedir?: string;
  /** Strict parsing (default true). */
  strict?: boolean;
}

function isRegularFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function readIfFile(p: string): Buffer | undefined {
  return isRegularFile(p) ? fs.readFileSync(p) : undefined;
}

/**
 * The file backend of libuci: config dir, override dir and delta ("savedir") handling, so changes made here are
 * seen by `uci` and the reverse. Loading a package replays every delta file for it, exactly like libuci.
 * (libuci also takes flock()s on the files; Node has no flock, so concurrent writers are not excluded.)
 */
export class UciContext {
  confdir: string;
  conf2dir: string | null;
  savedir: string;
  /** Directories whose `<pkg>` delta files are replayed on load, in order; the savedir is always last. */
  deltaPaths: string[];
  strict: boolean;
  /** In non-strict mode, called for each line skipped because of a parse error. */
  onParseError?: (err: UciParseError) => void;

  constructor(options: UciContextOptions = {}) {
    this.confdir = options.confdir ?? DEFAULT_CONFDIR;
    this.conf2dir = options.conf2dir === undefined ? DEFAULT_CONF2DIR : options.conf2dir;
    this.savedir = options.savedir ?? DEFAULT_SAVEDIR;
    this.deltaPaths = [this.savedir];
    this.strict = options.strict ?? true;
  }

  /** uci_set_savedir (`uci -t DIR`): save changes there, and read it last. */
  setSavedir(dir: string): void {
    this.deltaPaths = this.deltaPaths.filter((d) => d !== dir);
    this.deltaPaths.push(dir);
    this.savedir = dir;
  }

  /** uci_add_delta_path (`uci -p DIR`): also replay changes found there, before the savedir's. */
  addDeltaPath(dir: string): void {
    if (this.deltaPaths.includes(dir)) throw new UciError(UCI_ERR_DUPLICATE);
    this.deltaPaths.splice(this.deltaPaths.length - 1, 0, dir);
  }

  private configPath(name: string): { file: string; conf2: boolean } {
    if (this.conf2dir) {
      const file = path.join(this.conf2dir, name);
      if (fs.existsSync(file)) return { file, conf2: true };
    }
    return { file: path.join(this.confdir, name), conf2: false };
  }

  private parse(text: Uint8Array, name: string): UciPackage {
    return parseUci(text, {
      name,
      strict: this.strict,
      ...(this.onParseError ? { onError: this.onParseError } : {}),
    });
  }

  /**
   * uci_load: parse the config file and replay the deltas. Throws "Entry not found" when there is no file. A name
   * starting with `/` or `./` is a file path outside the config dir, edited in place without delta (as in libuci).
   */
  load(name: string): UciPackage {
    if (name.startsWith('/') || name.startsWith('./')) return this.loadFile(name);
    if (name.startsWith('.')) throw new UciError(UCI_ERR_NOTFOUND);
    if (!isValidPackageName(name)) throw new UciError(UCI_ERR_INVAL);
    const { file } = this.configPath(name);
    const text = readIfFile(file);
    if (text === undefined) throw new UciError(UCI_ERR_NOTFOUND);
    const p = this.parse(text, name);
    p.path = file;
    p.hasDelta = true;
    this.replayDeltas(p);
    return p;
  }

  /** Parse a package from any file, outside the config dir: no delta handling (libuci's path-based load). */
  loadFile(file: string, name = file.slice(file.lastIndexOf('/') + 1)): UciPackage {
    const text = readIfFile(file);
    if (text === undefined) throw new UciError(UCI_ERR_NOTFOUND);
    const p = this.parse(text, name);
    p.path = file;
    return p;
  }

  private replayDeltas(p: UciPackage): number {
    let changes = 0;
    for (const dir of this.deltaPaths) {
      const text = readIfFile(path.join(dir, p.name));
      if (text !== undefined) changes += loadDelta(p, text);
    }
    return changes;
  }

  /** uci_lookup_ptr: parse `pkg[.sec[.opt]][=value]`, load the package and resolve the rest. */
  lookup(tuple: string, extended = true): UciPtr {
    const ptr = parsePtr(tuple);
    const p = this.load(ptr.package);
    return lookupInPackage(p, ptr, extended);
  }

  /** uci_save: append the package's unsaved changes to SAVEDIR/<pkg> (a package loaded by path is committed). */
  save(p: UciPackage): void {
    if (!p.hasDelta) {
      this.commit(p);
      return;
    }
    if (p.delta.length === 0) return;
    try {
      if (!fs.existsSync(this.savedir)) {
        let mode = 0o700;
        try {
          mode = fs.statSync(this.confdir).mode & 0o7777;
        } catch {}
        fs.mkdirSync(this.savedir, { mode });
      } else if (!fs.statSync(this.savedir).isDirectory()) throw new UciError(UCI_ERR_IO);
      const file = path.join(this.savedir, p.name);
      let mode = 0o600;
      try {
        mode = fs.statSync(path.join(this.confdir, p.name)).mode & 0o7777;
      } catch {}
      fs.appendFileSync(file, encodeBytes(formatDelta(p.name, p.delta)), { mode });
    } catch (err) {
      if (err instanceof UciError) throw err;
      throw new UciError(UCI_ERR_IO);
    }
    p.delta = [];
  }

  /**
   * uci_commit: save pending changes, re-read the file, replay all deltas, and if there were any, write the file
   * back (temp file + rename, keeping its mode) and empty the savedir's delta file. Returns the committed package.
   */
  commit(p: UciPackage): UciPackage {
    if (!p.path) throw new UciError(UCI_ERR_INVAL);
    const file = p.path;
    let fresh = p;
    if (p.hasDelta) {
      this.save(p);
      fresh = this.parse(readIfFile(file) ?? new Uint8Array(), p.name);
      fresh.path = file;
      fresh.hasDelta = true;
      if (this.replayDeltas(fresh) === 0) return fresh;
    }
    // libuci makes its temp file in the config dir (the override dir for an overridden package), then renames it.
    const dir = this.conf2dir && file === path.join(this.conf2dir, p.name) ? this.conf2dir : this.confdir;
    const tmp = path.join(dir, `.${p.name}.uci-${Math.random().toString(36).slice(2, 8).padEnd(6, 'X')}`);
    try {
      const real = fs.realpathSync(file);
      const mode = fs.statSync(real).mode & 0o7777;
      fs.writeFileSync(tmp, encodeBytes(serializeUci(fresh)), { mode });
      fs.chmodSync(tmp, mode);
      fs.renameSync(tmp, real);
    } catch {
      try {
        fs.unlinkSync(tmp);
      } catch {}
      throw new UciError(UCI_ERR_IO);
    }
    const delta = path.join(this.savedir, p.name);
    if (p.hasDelta && isRegularFile(delta)) fs.truncateSync(delta, 0);
    fresh.savedDelta = [];
    return fresh;
  }

  /**
   * uci_revert: drop the saved changes for a package, or only those for one section / option (by the names in the
   * delta file). Returns the package reloaded.
   */
  revert(ptr: UciPtr): UciPackage {
    const p = ptr.p;
    if (!p?.hasDelta) throw new UciError(UCI_ERR_INVAL);
    this.save(p);
    const file = path.join(this.savedir, p.name);
    const text = readIfFile(file);
    if (text !== undefined) {
      let lines: ReturnType<typeof parseDeltaLines> | undefined;
      try {
        lines = parseDeltaLines(text, true);
      } catch {
        // libuci stops, and leaves the file alone, at the first line it cannot parse.
      }
      if (lines) {
        const keep: DeltaEntry[] = [];
        for (const { entry } of lines) {
          let match = true;
          if (ptr.section !== undefined && entry.section !== ptr.section) match = false;
          if (match && ptr.option !== undefined && entry.option !== ptr.option) match = false;
          if (!match) keep.push(entry);
        }
        fs.writeFileSync(file, encodeBytes(keep.map((h) => formatDeltaEntry(p.name, h)).join('')));
      }
    }
    return this.load(p.name);
  }

  /** uci_list_configs: package names in the config dir, sorted bytewise; names with a dot are ignored. */
  listConfigs(): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.confdir, { withFileTypes: true });
    } catch {
      throw new UciError(UCI_ERR_NOTFOUND);
    }
    return entries
      .filter((e) => !e.name.startsWith('.') && !e.isDirectory() && !e.name.includes('.'))
      .map((e) => e.name)
      .filter(isValidPackageName)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
