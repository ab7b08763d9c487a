/**
 * A small QR code encoder (ISO/IEC 18004) for the pairing line: byte mode only, error correction L or M, versions
 * 1-40, the eight data masks scored with the standard penalty rules. Output is a square matrix of dark/light
 * modules without the quiet zone; rendering is qr-text.ts's job.
 */
import { rsRemainder } from './qr-rs.js';
import {
  EC_BLOCKS,
  EC_CODEWORDS_PER_BLOCK,
  EC_FORMAT_BITS,
  type EcLevel,
  MAX_VERSION,
  MIN_VERSION,
} from './qr-tables.js';

export type { EcLevel } from './qr-tables.js';

export interface QrCode {
  version: number;
  ecLevel: EcLevel;
  mask: number;
  size: number;
  /** Row-major, `size * size` entries, 1 = dark. */
  modules: Uint8Array;
}

export interface QrOptions {
  ecLevel?: EcLevel;
  /** Smallest version to use (the encoder picks the first one the data fits in). */
  minVersion?: number;
  /** Force a mask pattern 0-7 instead of the lowest penalty. */
  mask?: number;
}

export class QrTooLongError extends Error {}

function qrSize(version: number): number {
  return 17 + 4 * version;
}

export function isDark(qr: QrCode, row: number, col: number): boolean {
  return qr.modules[row * qr.size + col] === 1;
}

/** Centre coordinates of the alignment patterns in each direction (§6.3.6, Annex E). */
export function alignmentPositions(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const last = qrSize(version) - 7;
  // Spacing is even and equal between all but the first two; version 32 is the one exception in Annex E.
  const step = version === 32 ? 26 : Math.ceil((last - 6) / (count - 1) / 2) * 2;
  const out = [6];
  for (let i = count - 2; i >= 0; i--) out.push(last - i * step);
  return out;
}

/** A matrix under construction: module values plus which modules belong to function patterns. */
class Grid {
  readonly size: number;
  readonly dark: Uint8Array;
  readonly fn: Uint8Array;

  constructor(readonly version: number) {
    this.size = qrSize(version);
    this.dark = new Uint8Array(this.size * this.size);
    this.fn = new Uint8Array(this.size * this.size);
  }

  setFn(row: number, col: number, dark: boolean): void {
    const i = row * this.size + col;
    this.dark[i] = dark ? 1 : 0;
    this.fn[i] = 1;
  }

  isFn(row: number, col: number): boolean {
    return this.fn[row * this.size + col] === 1;
  }
}

function drawFinder(g: Grid, top: number, left: number): void {
  // 7x7 finder plus its one-module light separator, clipped at the symbol's edge.
  for (let dr = -1; dr <= 7; dr++) {
    for (let dc = -1; dc <= 7; dc++) {
      const r = top + dr;
      const c = left + dc;
      if (r < 0 || c < 0 || r >= g.size || c >= g.size) continue;
      const ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
      g.setFn(r, c, ring !== 2 && ring !== 4);
    }
  }
}

function drawFunctionPatterns(g: Grid): void {
  const n = g.size;
  for (let i = 0; i < n; i++) {
    g.setFn(6, i, i % 2 === 0);
    g.setFn(i, 6, i % 2 === 0);
  }
  drawFinder(g, 0, 0);
  drawFinder(g, 0, n - 7);
  drawFinder(g, n - 7, 0);
  const pos = alignmentPositions(g.version);
  for (const r of pos) {
    for (const c of pos) {
      // The three corners where a finder pattern already sits get no alignment pattern.
      if ((r === 6 && c === 6) || (r === 6 && c === n - 7) || (r === n - 7 && c === 6)) continue;
      for (let dr = -2; dr <= 2; dr++)
        for (let dc = -2; dc <= 2; dc++) g.setFn(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
    }
  }
  // Reserve the format and version areas now (values are written once the mask is known).
  drawFormat(g, 0);
  drawVersion(g);
}

/** BCH(15,5) format word for level + mask, XORed with 101010000010010 (§7.9.1). */
export function formatBits(ecLevel: EcLevel, mask: number): number {
  const data = (EC_FORMAT_BITS[ecLevel] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
  return ((data << 10) | (rem & 0x3ff)) ^ 0x5412;
}

/** BCH(18,6) version word (§7.10), for versions 7 and up. */
export function versionBits(version: number): number {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >> 11) * 0x1f25);
  return (version << 12) | (rem & 0xfff);
}

function drawFormat(g: Grid, bits: number): void {
  const n = g.size;
  const bit = (i: number) => ((bits >> i) & 1) === 1;
  // First copy around the top-left finder: bits 0-7 down column 8 (skipping the timing row), 8-14 along row 8.
  for (let i = 0; i <= 5; i++) g.setFn(i, 8, bit(i));
  g.setFn(7, 8, bit(6));
  g.setFn(8, 8, bit(7));
  g.setFn(8, 7, bit(8));
  for (let i = 9; i < 15; i++) g.setFn(8, 14 - i, bit(i));
  // Second copy split between the other two finders: bits 0-7 along row 8 from the right, 8-14 up column 8.
  for (let i = 0; i < 8; i++) g.setFn(8, n - 1 - i, bit(i));
  for (let i = 8; i < 15; i++) g.setFn(n - 15 + i, 8, bit(i));
  g.setFn(n - 8, 8, true); // the dark module
}

function drawVersion(g: Grid): void {
  if (g.version < 7) return;
  const bits = versionBits(g.version);
  const n = g.size;
  for (let i = 0; i < 18; i++) {
    const dark = ((bits >> i) & 1) === 1;
    const a = n - 11 + (i % 3);
    const b = Math.floor(i / 3);
    g.setFn(b, a, dark);
    g.setFn(a, b, dark);
  }
}

/** Modules left for data and error correction once the function patterns are drawn. */
export function rawDataModules(version: number): number {
  const g = new Grid(version);
  drawFunctionPatterns(g);
  return g.fn.reduce((free, f) => free + (f ? 0 : 1), 0);
}

const totalCodewordsCache = new Map<number, number>();
function totalCodewords(version: number): number {
  let t = totalCodewordsCache.get(version);
  if (t === undefined) {
    t = Math.floor(rawDataModules(version) / 8);
    totalCodewordsCache.set(version, t);
  }
  return t;
}

function dataCodewords(version: number, ecLevel: EcLevel): number {
  const blocks = EC_BLOCKS[ecLevel][version - 1]!;
  return totalCodewords(version) - blocks * EC_CODEWORDS_PER_BLOCK[ecLevel][version - 1]!;
}

/** Most bytes a version holds in byte mode: 4-bit mode, 8- or 16-bit count, then the data. */
export function byteCapacity(version: number, ecLevel: EcLevel): number {
  return Math.floor((dataCodewords(version, ecLevel) * 8 - 4 - countBits(version)) / 8);
}

function countBits(version: number): number {
  return version <= 9 ? 8 : 16;
}

class BitBuffer {
  readonly bits: number[] = [];
  put(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits.push((value >>> i) & 1);
  }
}

/** Mode, count, data, terminator and padding, as codewords (§7.4). */
function dataCodewordsFor(data: Uint8Array, version: number, ecLevel: EcLevel): Uint8Array {
  const capacity = dataCodewords(version, ecLevel);
  const bb = new BitBuffer();
  bb.put(0b0100, 4);
  bb.put(data.length, countBits(version));
  for (const b of data) bb.put(b, 8);
  bb.put(0, Math.min(4, capacity * 8 - bb.bits.length));
  bb.put(0, (8 - (bb.bits.length % 8)) % 8);
  const out = new Uint8Array(capacity);
  for (let i = 0; i < bb.bits.length; i++) out[i >> 3]! |= bb.bits[i]! << (7 - (i & 7));
  for (let i = bb.bits.length / 8, pad = 0xec; i < capacity; i++, pad ^= 0xec ^ 0x11) out[i] = pad;
  return out;
}

/** Splits into blocks, appends each block's error correction, interleaves (§7.5, §7.6). */
function withErrorCorrection(data: Uint8Array, version: number, ecLevel: EcLevel): Uint8Array {
  const blocks = EC_BLOCKS[ecLevel][version - 1]!;
  const ecLen = EC_CODEWORDS_PER_BLOCK[ecLevel][version - 1]!;
  const total = totalCodewords(version);
  const shortBlocks = blocks - (total % blocks);
  const shortData = Math.floor(total / blocks) - ecLen;
  const dataBlocks: Uint8Array[] = [];
  const ecBlocks: Uint8Array[] = [];
  for (let b = 0, k = 0; b < blocks; b++) {
    const len = shortData + (b < shortBlocks ? 0 : 1);
    const block = data.subarray(k, k + len);
    k += len;
    dataBlocks.push(block);
    ecBlocks.push(rsRemainder(block, ecLen));
  }
  const out = new Uint8Array(total);
  let k = 0;
  for (let i = 0; i <= shortData; i++) for (const block of dataBlocks) if (i < block.length) out[k++] = block[i]!;
  for (let i = 0; i < ecLen; i++) for (const block of ecBlocks) out[k++] = block[i]!;
  return out;
}

/** Places codewords in the two-module-wide zigzag from the bottom right (§7.7.3); leftover bits stay light. */
function placeCodewords(g: Grid, codewords: Uint8Array): void {
  const n = g.size;
  let i = 0;
  const totalBits = codewords.length * 8;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern is skipped as a whole column
    const upward = ((right + 1) & 2) === 0;
    for (let v = 0; v < n; v++) {
      const row = upward ? n - 1 - v : v;
      for (let j = 0; j < 2; j++) {
        const col = right - j;
        if (g.isFn(row, col)) continue;
        if (i < totalBits) {
          g.dark[row * n + col] = (codewords[i >> 3]! >> (7 - (i & 7))) & 1;
          i++;
        }
      }
    }
  }
}

/** The data mask conditions (§7.8.2, Table 10): true where the module is inverted. */
function maskApplies(mask: number, row: number, col: number): boolean {
  switch (mask) {
    case 0:
      return (row + col) % 2 === 0;
    case 1:
      return row % 2 === 0;
    case 2:
      return col % 3 === 0;
    case 3:
      return (row + col) % 3 === 0;
    case 4:
      return (Math.floor(row / 2) + Math.floor(col / 3)) % 2 === 0;
    case 5:
      return ((row * col) % 2) + ((row * col) % 3) === 0;
    case 6:
      return (((row * col) % 2) + ((row * col) % 3)) % 2 === 0;
    case 7:
      return (((row + col) % 2) + ((row * col) % 3)) % 2 === 0;
    default:
      throw new RangeError(`QR mask must be 0-7, got ${mask}`);
  }
}

function applyMask(g: Grid, mask: number): void {
  const n = g.size;
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (!g.isFn(r, c) && maskApplies(mask, r, c)) g.dark[r * n + c]! ^= 1;
}

/** Penalty score of a finished matrix (§7.8.3): runs, 2x2 blocks, finder-like patterns, dark/light balance. */
export function penalty(dark: Uint8Array, size: number): number {
  let score = 0;
  const at = (r: number, c: number) => dark[r * size + c]!;
  const lines = (get: (i: number, j: number) => number) => {
    for (let i = 0; i < size; i++) {
      let run = 1;
      for (let j = 1; j <= size; j++) {
        if (j < size && get(i, j) === get(i, j - 1)) run++;
        else {
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
      }
      // 1:1:3:1:1 dark-light-dark-dark-dark-light-dark with four light modules on one side (inside the symbol).
      for (let j = 0; j + 7 <= size; j++) {
        if (
          get(i, j) === 1 &&
          get(i, j + 1) === 0 &&
          get(i, j + 2) === 1 &&
          get(i, j + 3) === 1 &&
          get(i, j + 4) === 1 &&
          get(i, j + 5) === 0 &&
          get(i, j + 6) === 1
        ) {
          const lightBefore = j >= 4 && [1, 2, 3, 4].every((d) => get(i, j - d) === 0);
          const lightAfter = j + 11 <= size && [7, 8, 9, 10].every((d) => get(i, j + d) === 0);
          if (lightBefore) score += 40;
          if (lightAfter) score += 40;
        }
      }
    }
  };
  lines((i, j) => at(i, j));
  lines((i, j) => at(j, i));
  for (let r = 0; r + 1 < size; r++)
    for (let c = 0; c + 1 < size; c++) {
      const v = at(r, c);
      if (v === at(r, c + 1) && v === at(r + 1, c) && v === at(r + 1, c + 1)) score += 3;
    }
  const darkCount = dark.reduce((a, b) => a + b, 0);
  const total = size * size;
  score += Math.floor(Math.abs(darkCount * 20 - total * 10) / total) * 10;
  return score;
}

function build(version: number, ecLevel: EcLevel, codewords: Uint8Array, mask: number): Grid {
  const g = new Grid(version);
  drawFunctionPatterns(g);
  placeCodewords(g, codewords);
  applyMask(g, mask);
  drawFormat(g, formatBits(ecLevel, mask));
  return g;
}

/** Encodes bytes (or a string as UTF-8) into the smallest QR code version that holds them. */
export function encodeQr(input: Uint8Array | string, options: QrOptions = {}): QrCode {
  const data = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const ecLevel = options.ecLevel ?? 'M';
  let version = Math.max(options.minVersion ?? MIN_VERSION, MIN_VERSION);
  while (version <= MAX_VERSION && byteCapacity(version, ecLevel) < data.length) version++;
  if (version > MAX_VERSION)
    throw new QrTooLongError(`${data.length} bytes do not fit in a QR code at level ${ecLevel}`);
  const codewords = withErrorCorrection(dataCodewordsFor(data, version, ecLevel), version, ecLevel);
  let best: { grid: Grid; mask: number; score: number } | undefined;
  const masks = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  for (const mask of masks) {
    if (!Number.isInteger(mask) || mask < 0 || mask > 7) throw new RangeError(`QR mask must be 0-7, got ${mask}`);
    const grid = build(version, ecLevel, codewords, mask);
    const score = masks.length === 1 ? 0 : penalty(grid.dark, grid.size);
    if (!best || score < best.score) best = { grid, mask, score };
  }
  const { grid, mask } = best!;
  return { version, ecLevel, mask, size: grid.size, modules: grid.dark };
}
