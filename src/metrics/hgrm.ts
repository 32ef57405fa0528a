import { UrndError } from '../errors.js';
import type { LatencySummary } from './percentiles.js';

/** One row of an HdrHistogram percentile distribution. */
export interface PercentilePoint {
  /** Latency at this percentile, in the file's unit. */
  readonly value: number;
  /** 0..1 */
  readonly percentile: number;
  readonly totalCount: number;
}

/** A parsed `.hgrm` file: its points and the footer's max and count. */
export interface PercentileDistribution {
  readonly points: readonly PercentilePoint[];
  readonly max: number;
  readonly count: number;
}

/**
 * Parses the percentile-distribution text HdrHistogram writes
 * (`outputPercentileDistribution`, the `.hgrm` files standard plotters read).
 */
export function parseHgrm(text: string, source = 'histogram'): PercentileDistribution {
  const points: PercentilePoint[] = [];
  let max = Number.NaN;
  let count = Number.NaN;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const footer = /^#\[Max\s*=\s*([\d.eE+-]+),\s*Total count\s*=\s*(\d+)\]/.exec(line);
    if (footer !== null) {
      max = Number(footer[1]);
      count = Number(footer[2]);
      continue;
    }
    const cols = line.split(/\s+/);
    if (cols.length < 3 || !/^[\d.]/.test(cols[0] ?? '')) continue;
    const [value, percentile, totalCount] = cols.map(Number) as [number, number, number];
    if (Number.isFinite(value) && Number.isFinite(percentile) && Number.isFinite(totalCount))
      points.push({ value, percentile, totalCount });
  }
  if (points.length === 0)
    throw new UrndError('URND_ERR_ARGUMENT', `${source}: no percentile rows (is it an .hgrm file?)`);
  const last = points[points.length - 1] as PercentilePoint;
  return {
    points,
    max: Number.isFinite(max) ? max : last.value,
    count: Number.isFinite(count) ? count : last.totalCount,
  };
}

/** The value at percentile q (0..100): the first row at or past it. */
export function valueAt(d: PercentileDistribution, q: number): number {
  const p = q / 100;
  for (const pt of d.points) if (pt.percentile >= p) return pt.value;
  return d.max;
}

/** p50 / p99 / p99.9 / max / count of a parsed distribution. */
export function summarize(d: PercentileDistribution): LatencySummary {
  return { p50: valueAt(d, 50), p99: valueAt(d, 99), p999: valueAt(d, 99.9), max: d.max, count: d.count };
}
