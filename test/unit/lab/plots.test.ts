import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chartSvg, niceStep } from '../../../src/wanbond/lab/chart.js';
import { chartPng, crc32, Raster } from '../../../src/wanbond/lab/raster.js';

const chart = {
  title: 'Upload',
  xLabel: 'seconds',
  yLabel: 'Mbit/s',
  series: [
    { name: 'wan1 <alone>', points: [0, 1, 2, 3].map((t) => ({ t, v: 5 + t })) },
    { name: 'bonded', points: [0, 1, 2, 3].map((t) => ({ t, v: 20 - t })), dashed: true },
  ],
  markers: [{ t: 1.5, label: 'cut' }],
};

function chunks(png: Buffer): { type: string; data: Buffer; crcOk: boolean }[] {
  const out = [];
  let o = 8;
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.subarray(o + 4, o + 8).toString('ascii');
    const data = png.subarray(o + 8, o + 8 + len);
    const crcOk = png.readUInt32BE(o + 8 + len) === crc32(png.subarray(o + 4, o + 8 + len));
    out.push({ type, data, crcOk });
    o += 12 + len;
  }
  return out;
}

describe('plots', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('writes a well-formed PNG of the right size', () => {
    const png = chartPng(chart, 400, 200);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(cs.every((c) => c.crcOk)).toBe(true);
    expect(cs[0]!.data.readUInt32BE(0)).toBe(400);
    expect(cs[0]!.data.readUInt32BE(4)).toBe(200);
    const raw = inflateSync(cs[1]!.data);
    expect(raw.length).toBe((400 * 3 + 1) * 200);
    // Something other than the white background was drawn.
    expect(raw.some((b, i) => i % 1201 !== 0 && b !== 255)).toBe(true);
  });

  it('draws text pixels with the bitmap font', () => {
    const r = new Raster(20, 10);
    r.text(1, 8, 'A', [0, 0, 0]);
    const dark = [...r.pixels].filter((b) => b === 0).length / 3;
    expect(dark).toBe(18); // the 5x7 'A' has 18 pixels set
  });

  it('writes SVG with escaped labels and one polyline per series', () => {
    const svg = chartSvg(chart);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('wan1 &lt;alone&gt;');
    expect(svg).toContain('stroke-dasharray');
    expect(svg.match(/<polyline/g)!.length).toBeGreaterThan(4);
  });

  it('picks readable tick steps', () => {
    expect(niceStep(23, 6)).toBe(5);
    expect(niceStep(100, 10)).toBe(10);
    expect(niceStep(0.7, 5)).toBe(0.2);
  });
});
