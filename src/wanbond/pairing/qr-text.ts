import { isDark, type QrCode } from './qr.js';

export interface QrTextOptions {
  /** Light border in modules around the symbol; scanners want some quiet zone. Default 2. */
  margin?: number;
  /**
   * Draw dark modules with block characters, for dark text on a light background. The default draws the light
   * modules instead (what `qrencode -t UTF8` does), which suits the usual light-on-dark terminal.
   */
  darkOnLight?: boolean;
}

/** The symbol as text, two module rows per line with Unicode half blocks, so it stays square in a terminal. */
export function renderQrText(qr: QrCode, options: QrTextOptions = {}): string {
  const margin = options.margin ?? 2;
  const span = qr.size + 2 * margin;
  // "Ink" is whatever the block characters draw: light modules by default.
  const ink = (row: number, col: number): boolean => {
    const r = row - margin;
    const c = col - margin;
    const dark = r >= 0 && c >= 0 && r < qr.size && c < qr.size && isDark(qr, r, c);
    return options.darkOnLight ? dark : !dark;
  };
  let out = '';
  for (let row = 0; row < span; row += 2) {
    let line = '';
    for (let col = 0; col < span; col++) {
      const top = ink(row, col);
      const bottom = row + 1 < span ? ink(row + 1, col) : !options.darkOnLight;
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' ';
    }
    out += `${line}\n`;
  }
  return out;
}
