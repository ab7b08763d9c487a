import { findOption, optionList, parseUciBoolean, sectionRef, type UciPackage, type UciSection } from 'uci-parser';
import { decodeKey } from '../engine/keys.js';
import { ConfigError } from './errors.js';

/** Where a config came from, shared by the section readers: errors and warnings name file, line and option. */
export interface ReadContext {
  file: string;
  pkg: UciPackage;
  warnings: string[];
  /** Reads a key_file; absent when the caller wants parsing to stay pure. */
  readFile: ((path: string) => string) | undefined;
  /** Permission bits of a file (for the warning about secrets others can read); absent when not checked. */
  modeOf?: ((path: string) => number | undefined) | undefined;
}

/** Shows a value in a message, shortened, with control characters escaped. */
export function shown(value: string): string {
  const v = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  let out = '';
  for (const c of v) {
    const code = c.charCodeAt(0);
    out += code < 32 || code === 127 ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return `'${out}'`;
}

/**
 * Typed reads of one section's options. Every read marks the option as known; `finish` turns the rest into
 * "unknown option" warnings (a typo must not silently disable a setting, but must not stop the daemon either).
 */
export class SectionReader {
  readonly ctx: ReadContext;
  readonly section: UciSection;
  readonly ref: string;
  private readonly known = new Set<string>();

  constructor(ctx: ReadContext, section: UciSection) {
    this.ctx = ctx;
    this.section = section;
    this.ref = sectionRef(ctx.pkg, section);
  }

  get name(): string {
    return this.section.name;
  }

  error(option: string | undefined, detail: string): ConfigError {
    const o = option !== undefined ? findOption(this.section, option) : undefined;
    return new ConfigError(detail, {
      file: this.ctx.file,
      pkg: this.ctx.pkg.name,
      line: o?.line ?? this.section.line,
      section: this.ref,
      option,
    });
  }

  warn(option: string | undefined, detail: string): void {
    const o = option !== undefined ? findOption(this.section, option) : undefined;
    const line = o?.line ?? this.section.line;
    const path = [this.ctx.pkg.name, this.ref, option].filter((p) => p !== undefined).join('.');
    this.ctx.warnings.push(`${path}: ${detail} at ${this.ctx.file}${line !== undefined ? `:${line}` : ''}`);
  }

  has(name: string): boolean {
    this.known.add(name);
    return findOption(this.section, name) !== undefined;
  }

  /** A single value; a `list` here is a mistake. Empty means absent. */
  str(name: string): string | undefined {
    this.known.add(name);
    const o = findOption(this.section, name);
    if (!o) return undefined;
    if (Array.isArray(o.value)) throw this.error(name, `expected a single value (option), got a list`);
    return o.value === '' ? undefined : o.value;
  }

  required(name: string, example: string): string {
    const v = this.str(name);
    if (v === undefined) throw this.error(name, `missing, e.g. option ${name} '${example}'`);
    return v;
  }

  /** Items of a `list` (a single `option` counts as one item). */
  list(name: string): string[] {
    this.known.add(name);
    return optionList(this.section, name);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.str(name);
    if (v === undefined) return fallback;
    const b = parseUciBoolean(v);
    if (b === undefined) throw this.error(name, `expected a boolean (0/1), got ${shown(v)}`);
    return b;
  }

  int(name: string, min: number, max: number, what = 'an integer'): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw this.error(name, `expected ${what} ${min}..${max}, got ${shown(v)}`);
    return Number(v);
  }

  port(name: string): number | undefined {
    return this.int(name, 1, 65535, 'a port');
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T;
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined;
  oneOf<T extends string>(name: string, values: readonly T[], fallback?: T): T | undefined {
    const v = this.str(name);
    if (v === undefined) return fallback;
    if (!(values as readonly string[]).includes(v))
      throw this.error(name, `expected one of ${values.join(', ')}, got ${shown(v)}`);
    return v as T;
  }

  /** `private_key` inline, or `key_file` naming a file that holds it. Never echoes key material. */
  privateKey(required: boolean): string {
    const inline = this.str('private_key');
    const file = this.str('key_file');
    if (inline !== undefined && file !== undefined)
      throw this.error('key_file', 'set private_key or key_file, not both');
    if (inline !== undefined) {
      this.checkKey('private_key', inline, true);
      this.warnIfShared('private_key', this.ctx.file);
      return inline;
    }
    if (file !== undefined) {
      if (!this.ctx.readFile) throw this.error('key_file', 'key_file given but this caller cannot read files');
      let text: string;
      try {
        text = this.ctx.readFile(file);
      } catch (err) {
        throw this.error('key_file', `cannot read ${shown(file)}: ${(err as Error).message}`);
      }
      const key = text.trim();
      try {
        decodeKey(key);
      } catch {
        throw this.error('key_file', `${shown(file)} does not hold a base64 X25519 private key (32 bytes)`);
      }
      this.warnIfShared('key_file', file);
      return key;
    }
    if (required) throw this.error('private_key', "missing: set private_key (see 'wanbond keygen') or key_file");
    return '';
  }

  /** A private key in a file that group or others may read or write is a leak waiting to happen: say so. */
  private warnIfShared(option: string, file: string): void {
    const mode = this.ctx.modeOf?.(file);
    if (mode === undefined || (mode & 0o077) === 0) return;
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    this.warn(
      option,
      `${shown(file)} holds a private key and is accessible to group/others (mode ${octal}): chmod 600 it`,
    );
  }

  /** Checks a base64 32-byte key; `secret` keeps the value out of the message. */
  checkKey(name: string, value: string, secret: boolean): void {
    try {
      decodeKey(value);
    } catch {
      const got = secret ? '' : `, got ${shown(value)}`;
      throw this.error(name, `expected a base64 X25519 key (32 bytes, as 'wanbond keygen' prints)${got}`);
    }
  }

  finish(): void {
    for (const o of this.section.options) if (!this.known.has(o.name)) this.warn(o.name, 'unknown option, ignored');
  }
}
