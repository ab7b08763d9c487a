/**
 * JSON text <-> blobmsg exactly as the `ubus` CLI does it. Parsing keeps json-c's view of numbers, which JSON.parse
 * loses: a literal with '.', 'e' or 'E' is a DOUBLE even when integral (`1.0`), other literals are integers
 * (INT32 if they fit, else INT64, saturating at the int64 limits like strtoll/strtoull + json_object_get_int64).
 * Formatting reproduces `blobmsg_format_json` byte for byte (tab indentation, `%lf` doubles, its escapes).
 */
import { BlobError } from './blob.js';
import type { BlobmsgNode } from './blobmsg.js';
import { integerNode } from './blobmsg-json.js';

export class JsonParseError extends BlobError {
  override name = 'JsonParseError';
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(msg: string): never {
    throw new JsonParseError(`${msg} at offset ${this.pos}`);
  }

  ws(): void {
    while (this.pos < this.text.length && /[ \t\r\n]/.test(this.text[this.pos]!)) this.pos++;
  }

  value(name?: string): BlobmsgNode {
    this.ws();
    const named = name ? { name } : {};
    const c = this.text[this.pos];
    if (c === '{') return { ...named, type: 'TABLE', value: this.object() };
    if (c === '[') return { ...named, type: 'ARRAY', value: this.array() };
    if (c === '"') return { ...named, type: 'STRING', value: this.string() };
    if (this.text.startsWith('true', this.pos)) return this.word(4, { ...named, type: 'INT8', value: 1 });
    if (this.text.startsWith('false', this.pos)) return this.word(5, { ...named, type: 'INT8', value: 0 });
    if (this.text.startsWith('null', this.pos))
      return this.word(4, { ...named, type: 'UNSPEC', value: new Uint8Array(0) });
    if (this.text.startsWith('NaN', this.pos)) return this.word(3, { ...named, type: 'DOUBLE', value: Number.NaN });
    if (this.text.startsWith('Infinity', this.pos)) {
      return this.word(8, { ...named, type: 'DOUBLE', value: Number.POSITIVE_INFINITY });
    }
    if (this.text.startsWith('-Infinity', this.pos)) {
      return this.word(9, { ...named, type: 'DOUBLE', value: Number.NEGATIVE_INFINITY });
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(name);
    return this.fail(c === undefined ? 'unexpected end of JSON' : `unexpected '${c}'`);
  }

  word(n: number, node: BlobmsgNode): BlobmsgNode {
    this.pos += n;
    return node;
  }

  number(name?: string): BlobmsgNode {
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (!m) return this.fail('bad number');
    this.pos += m[0].length;
    const lit = m[0];
    if (m[1] !== undefined || m[2] !== undefined)
      return { ...(name ? { name } : {}), type: 'DOUBLE', value: Number(lit) };
    return integerNode(BigInt(lit), name);
  }

  string(): string {
    // JSON string grammar is JSON.parse's; only the NUL cut (C strings) is ubus-specific.
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') this.pos += 2;
      else if (c === '"') {
        this.pos++;
        try {
          const s = JSON.parse(this.text.slice(start, this.pos)) as string;
          const nul = s.indexOf('\0');
          return nul >= 0 ? s.slice(0, nul) : s;
        } catch {
          this.pos = start;
          return this.fail('bad string');
        }
      } else this.pos++;
    }
    this.pos = start;
    return this.fail('unterminated string');
  }

  object(): BlobmsgNode[] {
    this.pos++;
    // json-c: a repeated key keeps its first position and takes the last value.
    const fields = new Map<string, BlobmsgNode>();
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return [];
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      const v = this.value(key);
      if (key === '') this.fail('empty keys cannot be blobmsg table fields');
      fields.set(key, v);
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return [...fields.values()];
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  array(): BlobmsgNode[] {
    this.pos++;
    const out: BlobmsgNode[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }
}

/** Parses a JSON object into the fields of a blobmsg table (`blobmsg_add_json_from_string`): the top must be `{}`. */
export function parseJsonTable(text: string): BlobmsgNode[] {
  const p = new Parser(text);
  p.ws();
  if (text[p.pos] !== '{') p.fail('ubus messages must be JSON objects');
  const fields = p.object();
  p.ws();
  if (p.pos !== text.length) p.fail('trailing characters after JSON');
  return fields;
}

/** Parses any JSON value into one blobmsg node. */
export function parseJsonValue(text: string): BlobmsgNode {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.pos !== text.length) p.fail('trailing characters after JSON');
  return v;
}

// ---- formatting (blobmsg_format_json_with_cb) ----

function escapeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\b') out += '\\b';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** printf("%lf"): six decimals, exact binary value, ties to even (JS toFixed rounds ties up). */
export function formatDoubleC(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const neg = x < 0 || Object.is(x, -0);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(x));
  const bits = dv.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let scaled: bigint;
  if (exp >= 0) scaled = (mant << BigInt(exp)) * 1000000n;
  else {
    const num = mant * 1000000n;
    const den = 1n << BigInt(-exp);
    const q = num / den;
    const r2 = (num % den) * 2n;
    scaled = r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
  }
  const digits = scaled.toString().padStart(7, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** `blobmsg_json_format_t`: returns the text for a node, or undefined for the default rendering. */
export type CustomFormat = (node: BlobmsgNode) => string | undefined;

interface FormatState {
  indent: boolean;
  level: number;
  out: string;
  custom?: CustomFormat | undefined;
}

function separator(s: FormatState): void {
  if (!s.indent) return;
  s.out += `\n${'\t'.repeat(Math.min(s.level, 16))}`;
}

function formatElement(s: FormatState, node: BlobmsgNode, withoutName: boolean): void {
  if (!withoutName && node.name) s.out += `${escapeString(node.name)}${s.indent ? ': ' : ':'}`;
  const custom = s.custom?.(node);
  if (custom !== undefined) {
    s.out += custom;
    return;
  }
  switch (node.type) {
    case 'UNSPEC':
      s.out += 'null';
      return;
    case 'INT8':
      s.out += node.value ? 'true' : 'false';
      return;
    case 'INT16':
    case 'INT32':
    case 'INT64':
      s.out += String(node.value);
      return;
    case 'DOUBLE':
      s.out += formatDoubleC(node.value);
      return;
    case 'STRING':
      s.out += escapeString(node.value);
      return;
    case 'ARRAY':
      formatList(s, node.value, true);
      return;
    case 'TABLE':
      formatList(s, node.value, false);
      return;
  }
}

function formatList(s: FormatState, nodes: BlobmsgNode[], array: boolean): void {
  s.out += array ? '[' : '{';
  s.level++;
  separator(s);
  nodes.forEach((n, i) => {
    if (i > 0) {
      s.out += ',';
      separator(s);
    }
    formatElement(s, n, array);
  });
  s.level--;
  separator(s);
  s.out += array ? ']' : '}';
}

/**
 * `blobmsg_format_json[_indent](attr, true)` over a table body: what `ubus call` prints (indent 0) and what
 * `ubus listen`/`subscribe` print (no indent, indent = undefined).
 */
export function formatJsonTable(
  fields: BlobmsgNode[],
  opts: { indent?: number; array?: boolean; custom?: CustomFormat } = {},
): string {
  const s = state(opts);
  formatList(s, fields, opts.array ?? false);
  return s.out;
}

/** `blobmsg_format_json_with_cb(attr, false, ...)`: one element with its name, e.g. a method in `ubus list -v`. */
export function formatJsonElement(node: BlobmsgNode, opts: { indent?: number; custom?: CustomFormat } = {}): string {
  const s = state(opts);
  formatElement(s, node, false);
  return s.out;
}

function state(opts: { indent?: number; custom?: CustomFormat }): FormatState {
  return {
    indent: opts.indent !== undefined && opts.indent >= 0,
    level: opts.indent ?? 0,
    out: '',
    custom: opts.custom,
  };
}
