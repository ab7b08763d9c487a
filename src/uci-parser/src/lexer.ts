import { decodeBytes } from './bytes.js';
import { UciParseError } from './errors.js';

/**
 * A re-implementation of libuci's line buffer and argument lexer (file.c). libuci reads a line with fgets into a
 * growing buffer, then lexes it in place: quoted pieces are copied down over the consumed bytes, NULs are written
 * to end words, and a backslash or open quote at the end of the line pulls the next line into the same buffer.
 * Several observable quirks (a `;` glued to an unquoted word dropping the rest of the line, the "byte" of an error,
 * line counts) follow from those mechanics, so they are reproduced here rather than approximated.
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const SEMI = 59;
const BACKSLASH = 92;
const SQUOTE = 39;
const DQUOTE = 34;

/** C `isspace` in the C locale. */
export function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

/** libuci starts with a 32-byte line buffer and doubles it; fgets chunk sizes (which matter only for NUL bytes)
 * depend on it. */
const LINEBUF = 32;

export class LineLexer {
  private readonly src: Uint8Array;
  private srcOff = 0;
  /** feof(): set once a read hit the end of the input. */
  eof = false;
  buf: Uint8Array = new Uint8Array(256);
  /** The emulated size of libuci's buffer. */
  private bufsz = 0;
  pos = 0;
  /** libuci's `buf_filled`: bytes in the buffer after the last read. */
  filled = 0;
  /** libuci's line counter: lines read that ended with a newline. */
  line = 0;
  /** Newlines consumed so far, for accurate physical line numbers. */
  private newlines = 0;
  /** Where each physical line starts in the current buffer, for `physicalLineAt`. */
  private lineStarts: { off: number; line: number }[] = [];

  constructor(src: Uint8Array) {
    this.src = src;
  }

  at(i: number): number {
    return i < this.buf.length ? this.buf[i]! : 0;
  }

  get cur(): number {
    return this.at(this.pos);
  }

  private set(i: number, c: number): void {
    this.ensure(i + 1);
    this.buf[i] = c;
  }

  private ensure(n: number): void {
    if (n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
  }

  /** fgets(buf + ofs, n): up to n-1 bytes, through the first newline; null when nothing could be read. */
  private fgets(ofs: number, n: number): boolean {
    let count = 0;
    while (count < n - 1) {
      if (this.srcOff >= this.src.length) {
        this.eof = true;
        break;
      }
      const c = this.src[this.srcOff++]!;
      this.set(ofs + count, c);
      count++;
      if (c === LF) {
        this.newlines++;
        break;
      }
    }
    if (count === 0) return false;
    this.set(ofs + count, 0);
    return true;
  }

  private strlen(i: number): number {
    let n = 0;
    while (this.at(i + n) !== 0) n++;
    return n;
  }

  /** uci_getln: read the next line into the buffer at `offset` (0 for a new logical line). */
  getln(offset: number): void {
    if (this.bufsz === 0) this.bufsz = LINEBUF;
    if (offset >= this.bufsz - 1) this.bufsz *= 2;
    if (offset === 0) this.lineStarts = [];
    this.lineStarts.push({ off: offset, line: this.newlines + 1 });
    let ofs = offset;
    for (;;) {
      this.set(ofs, 0);
      if (!this.fgets(ofs, this.bufsz - ofs) || this.at(ofs) === 0) return;
      ofs += this.strlen(ofs);
      this.filled = ofs;
      if (this.at(ofs - 1) === LF) {
        this.line++;
        return;
      }
      this.bufsz *= 2;
    }
  }

  /** 1-based line of the file holding buffer position `i` of the current logical line. */
  physicalLineAt(i: number): number {
    let line = this.lineStarts[0]?.line ?? this.newlines + 1;
    for (const s of this.lineStarts) if (s.off <= i) line = s.line;
    return line;
  }

  error(reason: string): never {
    // At the end of the input, point at the last line there is rather than the one after it.
    const at = this.eof && this.cur === 0 && this.pos > 0 ? this.pos - 1 : this.pos;
    throw new UciParseError(reason, this.line, this.pos, this.physicalLineAt(at));
  }

  str(i: number): string {
    return decodeBytes(this.buf, i, i + this.strlen(i));
  }

  skipWhitespace(): void {
    while (this.cur !== 0 && isSpace(this.cur)) this.pos++;
  }

  /** Returns false when the backslash ended the line (the next line was joined), true to keep the next char. */
  private parseBackslash(): boolean {
    this.pos++;
    const c = this.cur;
    if (c === 0 || c === LF || (c === CR && this.at(this.pos + 1) === LF && this.at(this.pos + 2) === 0)) {
      this.getln(this.pos);
      return false;
    }
    return true;
  }

  private addc(target: { v: number }): void {
    this.set(target.v, this.at(this.pos));
    target.v++;
    this.pos++;
  }

  private parseDoubleQuote(target: { v: number }): void {
    this.pos++;
    for (;;) {
      const c = this.cur;
      if (c === DQUOTE) {
        this.pos++;
        return;
      }
      if (c === 0) {
        this.getln(this.pos);
        if (this.cur === 0) this.error('EOF with unterminated "');
        continue;
      }
      if (c === BACKSLASH && !this.parseBackslash()) continue;
      this.addc(target);
    }
  }

  private parseSingleQuote(target: { v: number }): void {
    this.pos++;
    for (;;) {
      const c = this.cur;
      if (c === SQUOTE) {
        this.pos++;
        return;
      }
      if (c === 0) {
        this.getln(this.pos);
        if (this.cur === 0) this.error("EOF with unterminated '");
        continue;
      }
      this.addc(target);
    }
  }

  /** parse_str: one argument made of joined unquoted / quoted pieces, NUL-terminated in place at target. */
  private parseStr(target: { v: number }): void {
    let next = true;
    do {
      const c = this.cur;
      if (c === SQUOTE) this.parseSingleQuote(target);
      else if (c === DQUOTE) this.parseDoubleQuote(target);
      else if (c === HASH || c === 0) {
        if (c === HASH) this.set(this.pos, 0);
        break;
      } else if (c === SEMI) {
        next = false;
        break;
      } else if (c === BACKSLASH && !this.parseBackslash()) {
        // the line was joined; the do-while condition decides whether the word goes on
      } else this.addc(target);
    } while (this.cur !== 0 && !isSpace(this.cur));
    if (this.cur !== 0 && next) this.pos++;
    this.set(target.v, 0);
  }

  /** next_arg: returns the buffer offset of the argument (an empty string when there is none). */
  nextArg(required: boolean, validate?: (s: string) => boolean): number {
    this.skipWhitespace();
    const val = this.pos;
    if (this.cur === SEMI) {
      this.set(this.pos, 0);
      this.pos++;
    } else {
      const target = { v: val };
      this.parseStr(target);
    }
    if (this.at(val) === 0) {
      if (required) this.error('insufficient arguments');
      return val;
    }
    if (validate && !validate(this.str(val))) this.error('invalid character in name field');
    return val;
  }

  /** strtok(cur, " \t"): returns the offset of the next word (NUL-terminated in place) or -1. */
  strtok(): number {
    let i = this.pos;
    while (this.at(i) === SPACE || this.at(i) === TAB) i++;
    if (this.at(i) === 0) return -1;
    const start = i;
    while (this.at(i) !== 0 && this.at(i) !== SPACE && this.at(i) !== TAB) i++;
    if (this.at(i) !== 0) this.set(i, 0);
    return start;
  }

  /** uci_increase_pos(strlen(cur) + 1): step over the keyword the last strtok terminated. */
  skipKeyword(): boolean {
    const add = this.strlen(this.pos) + 1;
    if (this.pos + add > this.filled) return false;
    this.pos += add;
    return true;
  }
}
