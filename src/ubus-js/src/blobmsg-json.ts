/**
 * JS values <-> blobmsg with libubox's rules (blobmsg_json.c, `blobmsg_add_json_element`):
 * an integer that fits int32 becomes INT32, a larger one INT64 (clamped to int64 like json-c's get_int64),
 * any other number DOUBLE, a boolean INT8, null UNSPEC. On the way back INT8 reads as a boolean and
 * INT16/32/64 as signed integers. `typed()` forces a wire type where the value alone would pick another.
 */
import { BlobError } from './blob.js';
import type { BlobmsgNode, BlobmsgTypeName } from './blobmsg.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A value with an explicit blobmsg type, e.g. `typed('DOUBLE', 1)` so that 1 travels as 1.000000. */
export class Typed {
  constructor(
    readonly type: Exclude<BlobmsgTypeName, 'TABLE' | 'ARRAY' | 'UNSPEC'>,
    readonly value: number | bigint | string | boolean,
  ) {}
}

export function typed(type: Typed['type'], value: number | bigint | string | boolean): Typed {
  return new Typed(type, value);
}

function clampInt64(v: bigint): bigint {
  return v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v;
}

/** The blobmsg a JSON integer becomes: INT32 if it fits, else INT64. */
export function integerNode(v: bigint, name?: string): BlobmsgNode {
  const c = clampInt64(v);
  const named = name ? { name } : {};
  if (c >= BigInt(INT32_MIN) && c <= BigInt(INT32_MAX)) return { ...named, type: 'INT32', value: Number(c) };
  return { ...named, type: 'INT64', value: c };
}

function typedNode(t: Typed, name?: string): BlobmsgNode {
  const named = name ? { name } : {};
  const v = t.value;
  switch (t.type) {
    case 'STRING':
      return { ...named, type: 'STRING', value: String(v) };
    case 'DOUBLE':
      return { ...named, type: 'DOUBLE', value: Number(v) };
    case 'INT64':
      return { ...named, type: 'INT64', value: clampInt64(typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))) };
    case 'INT8':
    case 'INT16':
    case 'INT32': {
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
      if (!Number.isInteger(n)) throw new BlobError(`${t.type} value ${String(v)} is not an integer`);
      return { ...named, type: t.type, value: n };
    }
  }
}

/** A reply table given as exact blobmsg fields (a handler returns it to control every wire type). */
export class RawTable {
  constructor(readonly fields: BlobmsgNode[]) {}
}

/** Converts one JS value (JSON-like, plus bigint and `Typed`) to a blobmsg node. */
export function toBlobmsg(value: unknown, name?: string, seen: Set<object> = new Set()): BlobmsgNode {
  const named = name ? { name } : {};
  if (value instanceof Typed) return typedNode(value, name);
  if (value === null || value === undefined) return { ...named, type: 'UNSPEC', value: new Uint8Array(0) };
  switch (typeof value) {
    case 'boolean':
      return { ...named, type: 'INT8', value: value ? 1 : 0 };
    case 'string':
      return { ...named, type: 'STRING', value };
    case 'bigint':
      return integerNode(value, name);
    case 'number':
      if (Number.isInteger(value)) {
        if (value >= INT32_MIN && value <= INT32_MAX) return { ...named, type: 'INT32', value };
        return integerNode(BigInt(value), name);
      }
      return { ...named, type: 'DOUBLE', value };
    case 'object':
      break;
    default:
      throw new BlobError(`cannot encode a ${typeof value} as blobmsg${name ? ` (field '${name}')` : ''}`);
  }
  const obj = value as object;
  const withJson = obj as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return toBlobmsg(withJson.toJSON(), name, seen);
  if (seen.has(obj)) throw new BlobError('cannot encode a cyclic structure as blobmsg');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return { ...named, type: 'ARRAY', value: obj.map((v) => toBlobmsg(v, undefined, seen)) };
    }
    if (obj instanceof Uint8Array) throw new BlobError('cannot encode binary data as blobmsg');
    return { ...named, type: 'TABLE', value: tableFields(obj as Record<string, unknown>, seen) };
  } finally {
    seen.delete(obj);
  }
}

/** The fields of a table, as sent in a ubus DATA attribute. Undefined and function members are left out. */
export function tableFields(obj: Record<string, unknown>, seen: Set<object> = new Set()): BlobmsgNode[] {
  const out: BlobmsgNode[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (k === '') throw new BlobError('table fields need a non-empty name');
    out.push(toBlobmsg(v, k, seen));
  }
  return out;
}

export interface FromBlobmsgOptions {
  /** INT64 beyond Number.MAX_SAFE_INTEGER: 'bigint' keeps it exact (default), 'number' rounds it. */
  int64?: 'bigint' | 'number';
}

/** blobmsg -> JS: INT8 is a boolean, integers are signed, UNSPEC is null. */
export function fromBlobmsg(node: BlobmsgNode, opts: FromBlobmsgOptions = {}): unknown {
  switch (node.type) {
    case 'TABLE':
      return objectFromFields(node.value, opts);
    case 'ARRAY':
      return node.value.map((n) => fromBlobmsg(n, opts));
    case 'INT8':
      return node.value !== 0;
    case 'INT64': {
      const v = node.value;
      if (opts.int64 === 'number') return Number(v);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 'UNSPEC':
      return null;
    default:
      return node.value;
  }
}

/** A table body -> plain object. A repeated name keeps its first position and its last value (as json-c). */
export function objectFromFields(fields: BlobmsgNode[], opts: FromBlobmsgOptions = {}): Record<string, unknown> {
  const entries = new Map<string, unknown>();
  for (const f of fields) entries.set(f.name ?? '', fromBlobmsg(f, opts));
  return Object.fromEntries(entries);
}
