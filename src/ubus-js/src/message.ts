/**
 * One ubus message: an 8-byte header (u8 version=0, u8 type, u16 seq BE, u32 peer BE) then ONE blob container
 * (id 0) whose children are plain blob attributes keyed by UBUS_ATTR_*. Attributes keep their order so that
 * encoding a decoded message gives back the same bytes.
 */
import {
  BLOB_HEADER,
  BlobError,
  BlobWriter,
  dataView,
  decodeCString,
  encodeCString,
  iterAttrs,
  readHeader,
} from './blob.js';
import { type BlobmsgNode, decodeBlobmsgList, writeBlobmsgList } from './blobmsg.js';
import { ATTR, ATTR_NAMES, type AttrName, UBUS_MAX_MSGLEN } from './protocol.js';

export const UBUS_HEADER = 8;

export type AttrValue = string | number | number[] | BlobmsgNode[] | Uint8Array;
export type UbusAttr =
  | ['OBJPATH' | 'METHOD' | 'USER' | 'GROUP', string]
  | ['STATUS' | 'OBJID' | 'OBJTYPE' | 'TARGET' | 'ACTIVE' | 'NO_REPLY', number]
  | ['SIGNATURE' | 'DATA', BlobmsgNode[]]
  | ['SUBSCRIBERS', number[]]
  | [AttrName, Uint8Array];

export interface UbusMessage {
  type: number;
  seq: number;
  /** u32: a client ID or an object ID depending on the message. */
  peer: number;
  attrs: UbusAttr[];
}

const STRING_ATTRS = new Set<AttrName>(['OBJPATH', 'METHOD', 'USER', 'GROUP']);
const U32_ATTRS = new Set<AttrName>(['STATUS', 'OBJID', 'OBJTYPE', 'TARGET']);
const U8_ATTRS = new Set<AttrName>(['ACTIVE', 'NO_REPLY']);
const BLOBMSG_ATTRS = new Set<AttrName>(['SIGNATURE', 'DATA']);

export function encodeMessage(msg: UbusMessage): Uint8Array {
  const w = new BlobWriter(256);
  w.u8(0);
  w.u8(msg.type);
  w.u16(msg.seq & 0xffff);
  w.u32(msg.peer >>> 0);
  const container = w.open(0);
  for (const [name, value] of msg.attrs) {
    const id = ATTR[name];
    if (id === undefined) throw new BlobError(`unknown ubus attribute ${String(name)}`);
    if (value instanceof Uint8Array) {
      w.put(id, value);
    } else if (STRING_ATTRS.has(name)) {
      w.put(id, encodeCString(value as string));
    } else if (U32_ATTRS.has(name)) {
      const at = w.open(id);
      w.u32(value as number);
      w.close(at);
    } else if (U8_ATTRS.has(name)) {
      const at = w.open(id);
      w.u8(value as number);
      w.close(at);
    } else if (BLOBMSG_ATTRS.has(name)) {
      const at = w.open(id);
      writeBlobmsgList(w, value as BlobmsgNode[]);
      w.close(at);
    } else if (name === 'SUBSCRIBERS') {
      const at = w.open(id);
      for (const sub of value as number[]) {
        const s = w.open(0);
        w.u32(sub);
        w.close(s);
      }
      w.close(at);
    } else {
      throw new BlobError(`cannot encode ubus attribute ${name}`);
    }
  }
  w.close(container);
  const out = w.finish();
  if (out.length - UBUS_HEADER > UBUS_MAX_MSGLEN)
    throw new BlobError(`ubus message of ${out.length} bytes exceeds 1 MiB`);
  return out;
}

function exactly(name: AttrName, p: Uint8Array, n: number): DataView {
  if (p.length !== n) throw new BlobError(`ubus attribute ${name} has ${p.length} bytes, expected ${n}`);
  return dataView(p);
}

/** Decodes one complete message (header + container). Malformed input throws BlobError, never reads out of bounds. */
export function decodeMessage(buf: Uint8Array): UbusMessage {
  if (buf.length < UBUS_HEADER + BLOB_HEADER) throw new BlobError('ubus message shorter than its header');
  const dv = dataView(buf);
  if (dv.getUint8(0) !== 0) throw new BlobError(`unsupported ubus version ${dv.getUint8(0)}`);
  const type = dv.getUint8(1);
  const seq = dv.getUint16(2, false);
  const peer = dv.getUint32(4, false);
  const { rawLength } = readHeader(buf, UBUS_HEADER);
  if (rawLength < BLOB_HEADER || UBUS_HEADER + rawLength > buf.length) throw new BlobError('bad ubus container length');
  const body = buf.subarray(UBUS_HEADER + BLOB_HEADER, UBUS_HEADER + rawLength);
  const attrs: UbusAttr[] = [];
  for (const a of iterAttrs(body)) {
    const name = ATTR_NAMES[a.id];
    if (name === undefined || name === 'UNSPEC') {
      attrs.push(['UNSPEC', a.payload.slice()]);
    } else if (STRING_ATTRS.has(name)) {
      attrs.push([name as 'OBJPATH', decodeCString(a.payload)]);
    } else if (U32_ATTRS.has(name)) {
      attrs.push([name as 'OBJID', exactly(name, a.payload, 4).getUint32(0, false)]);
    } else if (U8_ATTRS.has(name)) {
      attrs.push([name as 'ACTIVE', exactly(name, a.payload, 1).getUint8(0)]);
    } else if (BLOBMSG_ATTRS.has(name)) {
      attrs.push([name as 'DATA', decodeBlobmsgList(a.payload)]);
    } else if (name === 'SUBSCRIBERS') {
      const ids: number[] = [];
      for (const s of iterAttrs(a.payload)) {
        if (s.payload.length === 4) ids.push(dataView(s.payload).getUint32(0, false));
      }
      attrs.push(['SUBSCRIBERS', ids]);
    }
  }
  return { type, seq, peer, attrs };
}

export function getAttr(msg: UbusMessage, name: 'OBJPATH' | 'METHOD' | 'USER' | 'GROUP'): string | undefined;
export function getAttr(
  msg: UbusMessage,
  name: 'STATUS' | 'OBJID' | 'OBJTYPE' | 'TARGET' | 'ACTIVE' | 'NO_REPLY',
): number | undefined;
export function getAttr(msg: UbusMessage, name: 'SIGNATURE' | 'DATA'): BlobmsgNode[] | undefined;
export function getAttr(msg: UbusMessage, name: 'SUBSCRIBERS'): number[] | undefined;
export function getAttr(msg: UbusMessage, name: AttrName): AttrValue | undefined {
  // blob_parse keeps the LAST occurrence of an attribute id; do the same.
  let found: AttrValue | undefined;
  for (const [n, v] of msg.attrs) if (n === name) found = v;
  return found;
}

/**
 * Splits a byte stream into messages. Lengths are checked before anything is buffered: a peer announcing more
 * than UBUS_MAX_MSGLEN, a wrong version or a container shorter than its header is a protocol error (the
 * connection should be dropped, as ubusd does).
 */
export class MessageReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < UBUS_HEADER + BLOB_HEADER) break;
      const head = this.peek(UBUS_HEADER + BLOB_HEADER);
      if (head[0] !== 0) throw new BlobError(`unsupported ubus version ${head[0]}`);
      const { rawLength } = readHeader(head, UBUS_HEADER);
      if (rawLength < BLOB_HEADER) throw new BlobError('ubus container shorter than its header');
      if (rawLength > UBUS_MAX_MSGLEN) throw new BlobError(`ubus message of ${rawLength} bytes exceeds 1 MiB`);
      const total = UBUS_HEADER + rawLength;
      if (this.buffered < total) break;
      out.push(this.take(total));
    }
    return out;
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    this.chunks = [concat(this.chunks, this.buffered)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    let first = this.chunks[0]!;
    if (first.length < n) {
      first = concat(this.chunks, this.buffered);
      this.chunks = [first];
    }
    const msg = first.slice(0, n);
    const rest = first.subarray(n);
    if (rest.length > 0) this.chunks[0] = rest;
    else this.chunks.shift();
    this.buffered -= n;
    return msg;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
