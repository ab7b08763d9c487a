import { describe, expect, it } from 'vitest';
import {
  alignmentPositions,
  byteCapacity,
  encodeQr,
  formatBits,
  isDark,
  penalty,
  type QrCode,
  QrTooLongError,
  rawDataModules,
  versionBits,
} from '../../../src/wanbond/pairing/qr.js';
import { rsGenerator, rsRemainder } from '../../../src/wanbond/pairing/qr-rs.js';
import { renderQrText } from '../../../src/wanbond/pairing/qr-text.js';
import vectors from './qr-vectors.json' with { type: 'json' };

function rows(qr: QrCode): string[] {
  return Array.from({ length: qr.size }, (_, r) =>
    Array.from({ length: qr.size }, (_, c) => (isDark(qr, r, c) ? '1' : '0')).join(''),
  );
}

/** Reads the half-block text back into module rows (inverse of renderQrText with its defaults). */
function unrender(text: string, margin: number): string[] {
  const lines = text.split('\n').filter(Boolean);
  const grid: string[] = [];
  for (const line of lines) {
    const chars = [...line];
    // Default rendering draws light modules: '█' = both light, '▀' = top light, '▄' = bottom light.
    grid.push(chars.map((ch) => (ch === '█' || ch === '▀' ? '0' : '1')).join(''));
    grid.push(chars.map((ch) => (ch === '█' || ch === '▄' ? '0' : '1')).join(''));
  }
  return grid.slice(margin, grid.length - margin).map((r) => r.slice(margin, r.length - margin));
}

describe('QR encoder', () => {
  it('computes Reed-Solomon as ISO 18004 does', () => {
    // Annex A: the generator polynomial for 7 EC codewords is x^7 + a^87 x^6 + a^229 x^5 + a^146 x^4 + a^149 x^3 +
    // a^238 x^2 + a^102 x + a^21; as field elements:
    const alpha = (e: number) => {
      let x = 1;
      for (let i = 0; i < e; i++) {
        x <<= 1;
        if (x & 0x100) x ^= 0x11d;
      }
      return x;
    };
    expect([...rsGenerator(7)]).toEqual([87, 229, 146, 149, 238, 102, 21].map(alpha));
    // Version 1-M "HELLO WORLD" (alphanumeric): 16 data codewords -> these 10 EC codewords.
    const data = Uint8Array.from([32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]);
    expect([...rsRemainder(data, 10)]).toEqual([196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
  });

  it('writes the format and version words of Annex C and D', () => {
    expect(formatBits('M', 0)).toBe(0b101010000010010);
    expect(formatBits('L', 0)).toBe(0b111011111000100);
    expect(formatBits('L', 7)).toBe(0b110100101110110);
    expect(formatBits('M', 5)).toBe(0b100000011001110);
    expect(versionBits(7)).toBe(0b000111110010010100);
    expect(versionBits(40)).toBe(0b101000110001101001);
  });

  it('lays out versions as the spec tables say', () => {
    expect(alignmentPositions(1)).toEqual([]);
    expect(alignmentPositions(2)).toEqual([6, 18]);
    expect(alignmentPositions(7)).toEqual([6, 22, 38]);
    expect(alignmentPositions(32)).toEqual([6, 34, 60, 86, 112, 138]);
    expect(alignmentPositions(40)).toEqual([6, 30, 58, 86, 114, 142, 170]);
    // Total codewords (Table 1): 26, 44, 346, 3706 for versions 1, 2, 10, 40.
    expect([1, 2, 10, 40].map((v) => Math.floor(rawDataModules(v) / 8))).toEqual([26, 44, 346, 3706]);
    // Byte-mode capacities (Table 7).
    expect([1, 9, 10, 40].map((v) => byteCapacity(v, 'L'))).toEqual([17, 230, 271, 2953]);
    expect([1, 9, 10, 40].map((v) => byteCapacity(v, 'M'))).toEqual([14, 180, 213, 2331]);
  });

  it('matches the matrices libqrencode produces, module for module', () => {
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(5);
    for (const v of vectors.vectors) {
      const ecLevel = v.ecLevel as 'L' | 'M';
      // Mask choice is a scoring heuristic where encoders differ; the encoding under a given mask is not.
      const matches = [0, 1, 2, 3, 4, 5, 6, 7].filter(
        (mask) => rows(encodeQr(v.text, { ecLevel, mask })).join('\n') === v.rows.join('\n'),
      );
      expect(matches, `${ecLevel} ${v.text}`).toHaveLength(1);
      expect(encodeQr(v.text, { ecLevel }).size).toBe(v.rows.length);
    }
  });

  it('picks the mask with the lowest penalty', () => {
    const text = 'wanbond://v1?n=home&h=vps.example.net&p=5555';
    const chosen = encodeQr(text);
    for (let mask = 0; mask < 8; mask++) {
      const other = encodeQr(text, { mask });
      expect(penalty(chosen.modules, chosen.size)).toBeLessThanOrEqual(penalty(other.modules, other.size));
    }
  });

  it('picks the smallest version that holds the data and refuses what no version holds', () => {
    expect(encodeQr('x'.repeat(14), { ecLevel: 'M' }).version).toBe(1);
    expect(encodeQr('x'.repeat(15), { ecLevel: 'M' }).version).toBe(2);
    expect(encodeQr('x'.repeat(230), { ecLevel: 'L' }).version).toBe(9);
    expect(encodeQr('x'.repeat(231), { ecLevel: 'L' }).version).toBe(10);
    expect(() => encodeQr('x'.repeat(2332), { ecLevel: 'M' })).toThrow(QrTooLongError);
    expect(() => encodeQr('x', { mask: 8 })).toThrow(RangeError);
  });

  it('renders two module rows per text line, with a quiet zone, losslessly', () => {
    const qr = encodeQr('wanbond://v1?n=home', { ecLevel: 'M' });
    const text = renderQrText(qr, { margin: 2 });
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(Math.ceil((qr.size + 4) / 2));
    expect(lines.every((l) => [...l].length === qr.size + 4)).toBe(true);
    // First line is all quiet zone: light modules drawn as full blocks.
    expect(lines[0]).toBe('█'.repeat(qr.size + 4));
    expect(unrender(text, 2).slice(0, qr.size)).toEqual(rows(qr));
    // Dark-on-light mode draws the other set of modules.
    const inverted = renderQrText(qr, { margin: 2, darkOnLight: true });
    expect(inverted.split('\n')[0]).toBe(' '.repeat(qr.size + 4));
  });
});
