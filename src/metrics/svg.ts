/**
 * Small, dependency-free SVG plots for reports: latency percentile curves
 * (the HdrHistogram plotter's log "1/(1-percentile)" axis) and x/y lines
 * (propagation time against failure size). Deterministic output, so a
 * regenerated report diffs cleanly.
 */
import type { PercentileDistribution } from './hgrm.js';

export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 720;
const H = 400;
const M = { left: 70, right: 20, top: 40, bottom: 60 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return v.toLocaleString('en-US');
  if (Math.abs(v) >= 1) return String(Math.round(v * 100) / 100);
  return v.toPrecision(2);
}

interface Axes {
  readonly x: (v: number) => number;
  readonly y: (v: number) => number;
  readonly xTicks: readonly { at: number; label: string }[];
  readonly yTicks: readonly { at: number; label: string }[];
}

function frame(title: string, xLabel: string, yLabel: string, axes: Axes, series: readonly Series[]): string {
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  for (const t of axes.yTicks) {
    const y = axes.y(t.at);
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${num(y)}" y2="${num(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 - 6}" y="${num(y + 4)}" text-anchor="end">${esc(t.label)}</text>`);
  }
  for (const t of axes.xTicks) {
    const x = axes.x(t.at);
    parts.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${y0}" y2="${y1}" stroke="#eee"/>`);
    parts.push(`<text x="${num(x)}" y="${y0 + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  parts.push(
    `<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/><line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`,
  );
  parts.push(`<text x="${(x0 + x1) / 2}" y="${H - 22}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(
    `<text x="16" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const d = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${num(axes.x(x))},${num(axes.y(y))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of s.points.length <= 12 ? s.points : [])
      parts.push(`<circle cx="${num(axes.x(x))}" cy="${num(axes.y(y))}" r="3" fill="${color}"/>`);
    const ly = M.top + 14 + i * 16;
    parts.push(
      `<rect x="${x0 + 10}" y="${ly - 9}" width="12" height="3" fill="${color}"/><text x="${x0 + 28}" y="${ly - 4}">${esc(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * Latency against percentile, one curve per distribution, on the log axis
 * HdrHistogram plots use (x = 1/(1-percentile): 50%, 90%, 99%, 99.9%, …).
 */
export function percentilePlot(
  title: string,
  unit: string,
  curves: readonly { label: string; distribution: PercentileDistribution }[],
): string {
  const maxX = 100_000; // up to 99.999%
  const series: Series[] = curves.map((c) => ({
    label: c.label,
    points: c.distribution.points
      .filter((p) => p.percentile < 1 && 1 / (1 - p.percentile) <= maxX)
      .map((p) => [1 / (1 - p.percentile), p.value] as const),
  }));
  const yMax = niceMax(Math.max(...curves.map((c) => c.distribution.max), 0));
  const lx = (v: number) => M.left + (Math.log10(Math.max(1, v)) / Math.log10(maxX)) * (W - M.left - M.right);
  const ly = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const xTicks = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%'].map((label, i) => ({ at: 10 ** i, label }));
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: f * yMax, label: fmtTick(f * yMax) }));
  return frame(title, 'percentile', `latency (${unit})`, { x: lx, y: ly, xTicks, yTicks }, series);
}

/** Plain x/y lines (log x when `logX`), e.g. propagation time against failure size. */
export function linePlot(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
  logX = false,
): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = logX ? Math.max(1, Math.min(...xs)) : 0;
  const xMax = Math.max(...xs, 1);
  const yMax = niceMax(Math.max(...ys, 0));
  const lx = logX
    ? (v: number) =>
        M.left +
        ((Math.log10(Math.max(v, xMin)) - Math.log10(xMin)) / Math.max(1e-9, Math.log10(xMax) - Math.log10(xMin))) *
          (W - M.left - M.right)
    : (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const ly = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const xTicks = logX
    ? Array.from(
        { length: Math.floor(Math.log10(xMax)) - Math.floor(Math.log10(xMin)) + 1 },
        (_, i) => 10 ** (Math.floor(Math.log10(xMin)) + i),
      ).map((at) => ({ at, label: fmtTick(at) }))
    : [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: f * xMax, label: fmtTick(f * xMax) }));
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: f * yMax, label: fmtTick(f * yMax) }));
  return frame(title, xLabel, yLabel, { x: lx, y: ly, xTicks, yTicks }, series);
}
