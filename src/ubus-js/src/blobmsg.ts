/**
 * blobmsg: named, typed blob attributes (libubox blobmsg.h). EXTENDED is set; the payload starts with a name
 * header (u16 BE namelen, name, NUL, zero padding to 4) and the value follows. Array elements are blobmsgs too,
 * with namelen 0. BOOL is INT8. Typed trees (`BlobmsgNode`) keep the exact wire types so that re-encoding is
 * byte-identical; `blobmsg-json.ts` maps them to and from plain JS values.
 */
import { BlobError, type BlobWriter, dataView, decodeCString, encodeCString, iterAttrs, pad4 } from './blob.js';

export const BLOBMSG_TYPE = {
  UNSPEC: 0,
  ARRAY: 1,
  TABLE: 2,
  STRING: 3,
  INT64: 4,
  INT32: 5,
  INT16: 6,
  INT8: 7,
  DOUBLE: 8,
} as const;
/** Alias used by `ubus` signatures: a bool parameter is declared as INT8 (7). */
export const BLOBMSG_TYPE_BOOL = BLOBMSG_TYPE.INT8;

export type BlobmsgTypeName = keyof typeof BLOBMSG_TYPE;
const TYPE_NAMES: BlobmsgTypeName[] = [
  'UNSPEC',
  'ARRAY',
  'TABLE',
  'STRING',
  'INT64',
  'INT32',
  'INT16',
  'INT8',
  'DOUBLE',
];

export function blobmsgTypeName(id: number): BlobmsgTypeName | undefined {
  return TYPE_NAMES[id];
}

type Named = { name?: string };
export type BlobmsgNode = Named &
  (
    | { type: 'TABLE' | 'ARRAY'; value: BlobmsgNode[] }
    | { type: 'STRING'; value: string }
    | { type: 'INT8' | 'INT16' | 'INT32' | 'DOUBLE'; value: number }
    | { type: 'INT64'; value: bigint }
    | { type: 'UNSPEC'; value: Uint8Array }
  );

export function writeBlobmsg(w: BlobWriter, node: BlobmsgNode): void {
  const id = BLOBMSG_TYPE[node.type];
  if (id === undefined) throw new BlobError(`unknown blobmsg type ${String(node.type)}`);
  const at = w.open(id, true);
  const name = encodeCString(node.name ?? '').subarray(0, -1);
  if (name.length > 0xffff) throw new BlobError('blobmsg name longer than 65535 bytes');
  w.u16(name.length);
  w.bytes(name);
  w.u8(0);
  w.align();
  writePayload(w, node);
  w.close(at);
}

function writePayload(w: BlobWriter, node: BlobmsgNode): void {
  switch (node.type) {
    case 'TABLE':
    case 'ARRAY':
      for (const child of node.value) writeBlobmsg(w, child);
      return;
    case 'STRING':
      w.bytes(encodeCString(node.value));
      return;
    case 'INT8':
      w.u8(node.value & 0xff);
      return;
    case 'INT16':
      w.u16(node.value & 0xffff);
      return;
    case 'INT32':
      w.u32(node.value >>> 0);
      return;
    case 'INT64': {
      const b = new Uint8Array(8);
      dataView(b).setBigUint64(0, BigInt.asUintN(64, node.value), false);
      w.bytes(b);
      return;
    }
    case 'DOUBLE': {
      const b = new Uint8Array(8);
      dataView(b).setFloat64(0, node.value, false);
      w.bytes(b);
      return;
    }
    case 'UNSPEC':
      w.bytes(node.value);
      return;
  }
}

/** Writes the children of a table or array without a wrapper: the shape of a ubus DATA/SIGNATURE body. */
export function writeBlobmsgList(w: BlobWriter, nodes: BlobmsgNode[]): void {
  for (const n of nodes) writeBlobmsg(w, n);
}

const FIXED_SIZE: Partial<Record<BlobmsgTypeName, number>> = { INT8: 1, INT16: 2, INT32: 4, INT64: 8 };

/**
 * Deepest table/array nesting the decoder follows. Real ubus payloads nest a handful of levels; without a bound a
 * 1 MiB message of empty tables (8 bytes a level) would overflow the stack with a RangeError instead of a BlobError.
 */
export const BLOBMSG_MAX_DEPTH = 64;

/** Decodes one blobmsg attribute (header already split off by `iterAttrs`); `depth` counts enclosing containers. */
export function decodeBlobmsgAttr(id: number, extended: boolean, payload: Uint8Array, depth = 0): BlobmsgNode {
  if (!extended) throw new BlobError(`blob attribute id ${id} is not a blobmsg (EXTENDED bit clear)`);
  const type = blobmsgTypeName(id);
  if (type === undefined) throw new BlobError(`unknown blobmsg type ${id}`);
  if (payload.length < 2) throw new BlobError('blobmsg shorter than its name header');
  const namelen = dataView(payload).getUint16(0, false);
  const hdrlen = pad4(2 + namelen + 1);
  if (payload.length < hdrlen) throw new BlobError('blobmsg name runs past the attribute');
  if (payload[2 + namelen] !== 0) throw new BlobError('blobmsg name is not NUL-terminated');
  const name = new TextDecoder().decode(payload.subarray(2, 2 + namelen));
  const data = payload.subarray(hdrlen);
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined && data.length !== fixed) {
    throw new BlobError(`blobmsg ${type} '${name}' has ${data.length} bytes, expected ${fixed}`);
  }
  const dv = dataView(data);
  const named = namelen > 0 ? { name } : {};
  switch (type) {
    case 'TABLE':
    case 'ARRAY':
      if (depth >= BLOBMSG_MAX_DEPTH) throw new BlobError(`blobmsg nested deeper than ${BLOBMSG_MAX_DEPTH} levels`);
      return { ...named, type, value: decodeBlobmsgList(data, depth + 1) };
    case 'STRING':
      return { ...named, type, value: decodeCString(data) };
    case 'INT8':
      return { ...named, type, value: dv.getUint8(0) };
    case 'INT16':
      return { ...named, type, value: dv.getInt16(0, false) };
    case 'INT32':
      return { ...named, type, value: dv.getInt32(0, false) };
    case 'INT64':
      return { ...named, type, value: dv.getBigInt64(0, false) };
    case 'DOUBLE':
      if (data.length < 8) throw new BlobError(`blobmsg DOUBLE '${name}' shorter than 8 bytes`);
      return { ...named, type, value: dv.getFloat64(0, false) };
    case 'UNSPEC':
      return { ...named, type, value: data.slice() };
  }
}

/** Decodes a packed list of blobmsgs (a table/array body, or a ubus DATA/SIGNATURE payload). */
export function decodeBlobmsgList(buf: Uint8Array, depth = 0): BlobmsgNode[] {
  const out: BlobmsgNode[] = [];
  for (const a of iterAttrs(buf)) out.push(decodeBlobmsgAttr(a.id, a.extended, a.payload, depth));
  return out;
}
