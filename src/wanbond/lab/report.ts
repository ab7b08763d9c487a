/** Plain-text tables for the terminal. */

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function f1(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1);
}

/** A one-line progress indicator: rewrites itself on a terminal, prints a line per call otherwise. */
export function progressLine(write: (t: string) => void, isTty: boolean) {
  let last = 0;
  return {
    update(text: string): void {
      if (isTty) write(`\r\x1b[K${text}`);
      else if (Date.now() - last > 2000) {
        write(`${text}\n`);
        last = Date.now();
      }
    },
    done(text: string): void {
      write(isTty ? `\r\x1b[K${text}\n` : `${text}\n`);
    },
  };
}
