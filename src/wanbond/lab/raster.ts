/** A tiny RGB rasterizer and PNG encoder (node:zlib for deflate, our own CRC-32), for the lab's PNG plots. */
import { deflateSync } from 'node:zlib';
import { type Chart, layoutChart } from './chart.js';
import { glyph } from './font5x7.js';

export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, rgb: [number, number, number]): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const o = (yi * this.width + xi) * 3;
    this.pixels[o] = rgb[0];
    this.pixels[o + 1] = rgb[1];
    this.pixels[o + 2] = rgb[2];
  }

  fillRect(x: number, y: number, w: number, h: number, rgb: [number, number, number]): void {
    for (let j = Math.max(0, Math.round(y)); j < Math.min(this.height, Math.round(y + h)); j++) {
      for (let i = Math.max(0, Math.round(x)); i < Math.min(this.width, Math.round(x + w)); i++) this.set(i, j, rgb);
    }
  }

  /** A line `width` pixels thick; dashed lines skip every other 6-pixel stretch. */
  line(x0: number, y0: number, x1: number, y1: number, rgb: [number, number, number], width = 1, dashed = false): void {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(len * 2));
    const r = (width - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const along = (s / steps) * len;
      if (dashed && Math.floor(along / 6) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) this.set(x + dx, y + dy, rgb);
    }
  }

  /** Text in the 5x7 font, scaled by `scale`; y is the baseline. */
  text(x: number, y: number, s: string, rgb: [number, number, number], scale = 1, anchor = 'start'): void {
    const advance = 6 * scale;
    const w = s.length * advance - scale;
    let cx = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    const top = y - 7 * scale;
    for (const ch of s) {
      const rows = glyph(ch);
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++) {
          if ((rows[row]! >> (4 - col)) & 1) this.fillRect(cx + col * scale, top + row * scale, scale, scale, rgb);
        }
      }
      cx += advance;
    }
  }

  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0; // filter: none
      Buffer.from(this.pixels.buffer, y * this.width * 3, this.width * 3).copy(raw, y * (this.width * 3 + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // colour type: RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function chartPng(chart: Chart, width = 900, height = 460): Buffer {
  const r = new Raster(width, height);
  for (const p of layoutChart(chart, width, height)) {
    if (p.kind === 'rect') r.fillRect(p.x, p.y, p.w, p.h, rgb(p.fill));
    else if (p.kind === 'text') r.text(p.x, p.y, p.text, rgb(p.color), p.size >= 16 ? 2 : 1, p.anchor);
    else {
      for (let i = 1; i < p.points.length; i++) {
        const [a, b] = p.points[i - 1]!;
        const [c, d] = p.points[i]!;
        r.line(a, b, c, d, rgb(p.color), p.width, p.dashed ?? false);
      }
    }
  }
  return r.png();
}
