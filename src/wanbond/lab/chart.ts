/**
 * Throughput-over-time charts, laid out once as primitives and drawn either as SVG (chart-svg) or into a raster
 * for PNG (raster.ts), so both files show the same picture.
 */

export interface Series {
  name: string;
  points: { t: number; v: number }[];
  dashed?: boolean;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Vertical markers, e.g. the moment a link is cut. */
  markers?: { t: number; label: string }[];
}

export type Primitive =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | { kind: 'line'; points: [number, number][]; color: string; width: number; dashed?: boolean }
  | {
      kind: 'text';
      x: number;
      y: number;
      text: string;
      color: string;
      size: number;
      anchor: 'start' | 'middle' | 'end';
    };

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** 1, 2 or 5 times a power of ten: ticks people can read. */
export function niceStep(range: number, targetTicks: number): number {
  const raw = range / Math.max(1, targetTicks);
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

export function layoutChart(chart: Chart, width = 900, height = 460): Primitive[] {
  const left = 70;
  const right = 170;
  const top = 40;
  const bottom = 50;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const all = chart.series.flatMap((s) => s.points);
  const tMax = Math.max(1, ...all.map((p) => p.t));
  const vMaxRaw = Math.max(1, ...all.map((p) => p.v));
  const yStep = niceStep(vMaxRaw, 6);
  const vMax = Math.ceil((vMaxRaw * 1.05) / yStep) * yStep;
  const xStep = niceStep(tMax, 10);
  const x = (t: number) => left + (t / tMax) * pw;
  const y = (v: number) => top + ph - (v / vMax) * ph;
  const out: Primitive[] = [{ kind: 'rect', x: 0, y: 0, w: width, h: height, fill: '#ffffff' }];
  out.push({ kind: 'text', x: width / 2, y: 24, text: chart.title, color: '#000000', size: 16, anchor: 'middle' });
  for (let v = 0; v <= vMax + 1e-9; v += yStep) {
    out.push({
      kind: 'line',
      points: [
        [left, y(v)],
        [left + pw, y(v)],
      ],
      color: '#dddddd',
      width: 1,
    });
    out.push({ kind: 'text', x: left - 8, y: y(v) + 4, text: fmt(v), color: '#333333', size: 12, anchor: 'end' });
  }
  for (let t = 0; t <= tMax + 1e-9; t += xStep) {
    out.push({
      kind: 'line',
      points: [
        [x(t), top + ph],
        [x(t), top + ph + 5],
      ],
      color: '#333333',
      width: 1,
    });
    out.push({ kind: 'text', x: x(t), y: top + ph + 20, text: fmt(t), color: '#333333', size: 12, anchor: 'middle' });
  }
  out.push({
    kind: 'line',
    points: [
      [left, top],
      [left, top + ph],
      [left + pw, top + ph],
    ],
    color: '#333333',
    width: 1,
  });
  out.push({
    kind: 'text',
    x: left + pw / 2,
    y: height - 10,
    text: chart.xLabel,
    color: '#333333',
    size: 12,
    anchor: 'middle',
  });
  out.push({ kind: 'text', x: 10, y: top - 10, text: chart.yLabel, color: '#333333', size: 12, anchor: 'start' });
  for (const m of chart.markers ?? []) {
    out.push({
      kind: 'line',
      points: [
        [x(m.t), top],
        [x(m.t), top + ph],
      ],
      color: '#d62728',
      width: 1,
      dashed: true,
    });
    out.push({ kind: 'text', x: x(m.t) + 4, y: top + 12, text: m.label, color: '#d62728', size: 12, anchor: 'start' });
  }
  chart.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.map((p) => [x(p.t), y(Math.min(p.v, vMax))] as [number, number]);
    if (pts.length > 1) out.push({ kind: 'line', points: pts, color, width: 2, dashed: s.dashed ?? false });
    const ly = top + 10 + i * 20;
    out.push({
      kind: 'line',
      points: [
        [left + pw + 15, ly],
        [left + pw + 40, ly],
      ],
      color,
      width: 2,
      dashed: s.dashed ?? false,
    });
    out.push({ kind: 'text', x: left + pw + 46, y: ly + 4, text: s.name, color: '#000000', size: 12, anchor: 'start' });
  });
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function chartSvg(chart: Chart, width = 900, height = 460): string {
  const body = layoutChart(chart, width, height).map((p) => {
    if (p.kind === 'rect') return `<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="${p.fill}"/>`;
    if (p.kind === 'text') {
      return `<text x="${p.x.toFixed(1)}" y="${p.y.toFixed(1)}" font-size="${p.size}" fill="${p.color}" text-anchor="${p.anchor}">${esc(p.text)}</text>`;
    }
    const pts = p.points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ');
    const dash = p.dashed ? ' stroke-dasharray="6 4"' : '';
    return `<polyline points="${pts}" fill="none" stroke="${p.color}" stroke-width="${p.width}"${dash}/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n${body.join('\n')}\n</svg>\n`;
}
