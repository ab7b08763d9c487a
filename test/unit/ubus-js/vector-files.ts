/**
 * Loads the recorded ubus vectors (../shared/vectors/ubus, or $UBUS_VECTORS_DIR) and converts between their JSON
 * notation and ubus-js types. Every rule lives here once, so a new vector file in the same layout is covered by
 * the tests without touching them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobmsgNode, UbusAttr, UbusMessage } from '../../../src/ubus-js/src/index.js';
import { MSG } from '../../../src/ubus-js/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const VECTOR_DIR = process.env.UBUS_VECTORS_DIR ?? resolve(here, '../../../../shared/vectors/ubus');

export interface VectorTyped {
  name?: string;
  type: string;
  value: unknown;
}

export interface VectorLine {
  dir: 'client->ubusd' | 'ubusd->client';
  type: keyof typeof MSG;
  seq: number;
  peer: string;
  attrs: [string, unknown][];
  blobmsg_typed?: [string, VectorTyped[]][];
  hex: string;
}

export function vectorFiles(): string[] {
  if (!existsSync(VECTOR_DIR)) return [];
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
}

export function readVector(file: string): VectorLine[] {
  return readFileSync(join(VECTOR_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as VectorLine);
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const HEX_ATTRS = new Set(['OBJID', 'OBJTYPE', 'TARGET']);

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** Typed tree in vector notation (INT64 as a number, UNSPEC as hex). */
export function nodeToVector(n: BlobmsgNode): VectorTyped {
  const base = n.name !== undefined ? { name: n.name } : {};
  switch (n.type) {
    case 'TABLE':
    case 'ARRAY':
      return { ...base, type: n.type, value: n.value.map(nodeToVector) };
    case 'INT64':
      return { ...base, type: n.type, value: Number(n.value) };
    case 'UNSPEC':
      return { ...base, type: n.type, value: toHex(n.value) };
    default:
      return { ...base, type: n.type, value: n.value };
  }
}

export function nodeFromVector(v: VectorTyped): BlobmsgNode {
  const base = v.name !== undefined && v.name !== '' ? { name: v.name } : {};
  switch (v.type) {
    case 'TABLE':
    case 'ARRAY':
      return { ...base, type: v.type, value: (v.value as VectorTyped[]).map(nodeFromVector) };
    case 'INT64':
      return { ...base, type: 'INT64', value: BigInt(v.value as number) };
    case 'UNSPEC':
      return { ...base, type: 'UNSPEC', value: fromHex(v.value as string) };
    case 'STRING':
      return { ...base, type: 'STRING', value: v.value as string };
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'DOUBLE':
      return { ...base, type: v.type, value: v.value as number };
    default:
      throw new Error(`unknown vector type ${v.type}`);
  }
}

/** The recorder's "plain JSON" view of a blobmsg: INT8 as bool, UNSPEC as {__type__, hex}. */
export function plainJson(n: BlobmsgNode): unknown {
  switch (n.type) {
    case 'TABLE': {
      const o: Record<string, unknown> = {};
      for (const c of n.value) o[c.name ?? ''] = plainJson(c);
      return o;
    }
    case 'ARRAY':
      return n.value.map(plainJson);
    case 'INT8':
      return n.value !== 0;
    case 'INT64':
      return Number(n.value);
    case 'UNSPEC':
      return { __type__: 'UNSPEC', hex: toHex(n.value) };
    default:
      return n.value;
  }
}

export function attrsToVector(attrs: UbusAttr[]): [string, unknown][] {
  return attrs.map(([name, value]) => {
    if (HEX_ATTRS.has(name)) return [name, hex32(value as number)];
    if (name === 'DATA' || name === 'SIGNATURE') {
      return [name, plainJson({ type: 'TABLE', value: value as BlobmsgNode[] })];
    }
    return [name, value];
  });
}

/** Rebuilds a message from its vector notation, taking blobmsg payloads from the typed trees. */
export function messageFromVector(line: VectorLine): UbusMessage {
  const typed = [...(line.blobmsg_typed ?? [])];
  const attrs = line.attrs.map(([name, value]): UbusAttr => {
    if (name === 'DATA' || name === 'SIGNATURE') {
      const i = typed.findIndex(([n]) => n === name);
      if (i < 0) throw new Error(`no typed tree for ${name}`);
      const [[, tree]] = typed.splice(i, 1) as [[string, VectorTyped[]]];
      return [name, tree.map(nodeFromVector)];
    }
    if (HEX_ATTRS.has(name)) return [name as 'OBJID', Number.parseInt(value as string, 16)];
    if (name === 'SUBSCRIBERS') return ['SUBSCRIBERS', value as number[]];
    return [name as 'METHOD', value as string];
  });
  return { type: MSG[line.type], seq: line.seq, peer: Number.parseInt(line.peer, 16), attrs };
}

export interface TranscriptEntry {
  name: string;
  argv: string[];
  stdout: string;
  stderr: string;
  rc: number;
}

/** Splits a shell command line the way sh does for the quoting the transcript uses ('...' and "..."). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        cur += line[i];
        i++;
      }
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function readTranscript(): TranscriptEntry[] {
  const path = join(VECTOR_DIR, 'cli-transcript.txt');
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const out: TranscriptEntry[] = [];
  for (const section of text.split(/^### /m).slice(1)) {
    const lines = section.split('\n');
    const name = lines[0]!.trim();
    const cmd = lines.find((l) => l.startsWith('$ '));
    if (!cmd) continue;
    const body = lines.slice(lines.indexOf(cmd) + 1);
    const rcLine = body.findIndex((l) => /^\[rc=\d+\]$/.test(l));
    const content = body.slice(0, rcLine);
    out.push({
      name,
      argv: shellWords(cmd.slice(2)),
      stdout: content
        .filter((l) => !l.startsWith('stderr: '))
        .map((l) => `${l}\n`)
        .join(''),
      stderr: content
        .filter((l) => l.startsWith('stderr: '))
        .map((l) => `${l.slice(8)}\n`)
        .join(''),
      rc: Number(/\d+/.exec(body[rcLine]!)![0]),
    });
  }
  return out;
}
