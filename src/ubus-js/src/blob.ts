/**
 * libubox `blob_attr`: the TLV layer under both ubus messages and blobmsg. Header is one big-endian u32:
 * bit 31 EXTENDED (set for blobmsg, which carries a name), bits 30..24 the id, bits 23..0 the length INCLUDING the
 * 4-byte header and EXCLUDING padding. The next attribute starts at the length rounded up to 4, padding zeroed. A
 * nested attribute's length counts its children's padding (libubox adds `blob_pad_len(child)` to the parent).
 */

export const BLOB_HEADER = 4;
export const BLOB_EXTENDED = 0x80000000;
const ID_SHIFT = 24;
const ID_MASK = 0x7f;
const LEN_MASK = 0x00ffffff;

export class BlobError extends Error {
  override name = 'BlobError';
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** One attribute as found in a buffer: `payload` is a view (not a copy) of the bytes after the header. */
export interface BlobAttr {
  id: number;
  extended: boolean;
  payload: Uint8Array;
  /** Raw length including the header, excluding padding. */
  rawLength: number;
}

export function readHeader(buf: Uint8Array, offset: number): { id: number; extended: boolean; rawLength: number } {
  if (offset + BLOB_HEADER > buf.length) throw new BlobError(`truncated blob header at offset ${offset}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(offset, false);
  return { id: (v >>> ID_SHIFT) & ID_MASK, extended: (v & BLOB_EXTENDED) !== 0, rawLength: v & LEN_MASK };
}

/**
 * Iterates the attributes packed in `buf` (a container's payload). Rejects lengths that are shorter than a header
 * or run past the end, the way `blob_parse_untrusted` does, so hostile input cannot make us read outside the buffer.
 * The last attribute's padding may be missing (a raw payload need not end padded).
 */
export function* iterAttrs(buf: Uint8Array): Generator<BlobAttr> {
  let off = 0;
  while (off < buf.length) {
    const { id, extended, rawLength } = readHeader(buf, off);
    if (rawLength < BLOB_HEADER) throw new BlobError(`blob attribute at offset ${off} has length ${rawLength} < 4`);
    if (off + rawLength > buf.length) {
      throw new BlobError(`blob attribute at offset ${off} (length ${rawLength}) runs past the end (${buf.length})`);
    }
    yield { id, extended, payload: buf.subarray(off + BLOB_HEADER, off + rawLength), rawLength };
    off += pad4(rawLength);
  }
}

/** Growable byte buffer with libubox's nesting: `open` reserves a header, `close` patches in the length. */
export class BlobWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, false);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, false);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Zero bytes up to the next multiple of 4. */
  align(): void {
    const target = pad4(this.length);
    this.ensure(target - this.length);
    this.buf.fill(0, this.length, target);
    this.length = target;
  }

  /** Starts an attribute; returns its offset for `close`. */
  open(id: number, extended = false): number {
    if (id < 0 || id > ID_MASK) throw new BlobError(`blob id ${id} out of range 0..127`);
    const at = this.length;
    this.u32(((extended ? BLOB_EXTENDED : 0) | (id << ID_SHIFT)) >>> 0);
    return at;
  }

  /** Ends the attribute opened at `at`: writes its raw length, then pads so the next one is aligned. */
  close(at: number): void {
    const raw = this.length - at;
    if (raw > LEN_MASK) throw new BlobError(`blob attribute too long (${raw} bytes)`);
    const head = this.view.getUint32(at, false) & ~LEN_MASK;
    this.view.setUint32(at, (head | raw) >>> 0, false);
    this.align();
  }

  /** A plain attribute with the given payload. */
  put(id: number, payload: Uint8Array): void {
    const at = this.open(id);
    this.bytes(payload);
    this.close(at);
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, false);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: false });

/** Like libubox (`strlen`), a string is cut at its first NUL: a NUL can never travel inside a blob string. */
export function encodeCString(s: string): Uint8Array {
  let b = utf8.encode(s);
  const nul = b.indexOf(0);
  if (nul >= 0) b = b.subarray(0, nul);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** A blob string must end with its NUL (libubox checks `data[len-1] == 0`). */
export function decodeCString(p: Uint8Array): string {
  if (p.length === 0 || p[p.length - 1] !== 0) throw new BlobError('string attribute is not NUL-terminated');
  const end = p.indexOf(0);
  return utf8d.decode(p.subarray(0, end));
}

export function dataView(p: Uint8Array): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}
