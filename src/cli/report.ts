import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseHgrm, summarize, type PercentileDistribution } from '../metrics/hgrm.js';
import { percentilePlot } from '../metrics/svg.js';

/** Options of `urnd report`. */
export interface ReportOptions {
  readonly files: readonly string[];
  readonly svg?: string;
  readonly title: string;
  readonly unit: string;
}

/**
 * `urnd report FILES…`: a table of p50 / p99 / p99.9 / max per saved
 * histogram (`.hgrm`), each with its ratio to the first file, and
 * optionally an SVG of their percentile curves overlaid.
 */
export async function runReport(opts: ReportOptions, write: (line: string) => void): Promise<void> {
  const curves: { label: string; distribution: PercentileDistribution }[] = [];
  for (const file of opts.files) {
    curves.push({
      label: path.basename(file).replace(/\.hgrm$/, ''),
      distribution: parseHgrm(await readFile(file, 'utf8'), file),
    });
  }
  write(reportTable(curves, opts.unit));
  if (opts.svg !== undefined) {
    await writeFile(opts.svg, percentilePlot(opts.title, opts.unit, curves));
    write('');
    write(`wrote ${opts.svg}`);
  }
}

/** The markdown table `urnd report` prints; benchmarks reuse it. */
export function reportTable(
  curves: readonly { label: string; distribution: PercentileDistribution }[],
  unit: string,
): string {
  const base = curves[0] === undefined ? null : summarize(curves[0].distribution);
  const ratio = (a: number, b: number | undefined) => (b !== undefined && b > 0 ? (a / b).toFixed(3) : '–');
  const lines = [
    `| histogram | count | p50 (${unit}) | p99 (${unit}) | p99.9 (${unit}) | max (${unit}) | p99 ÷ first | p99.9 ÷ first |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of curves) {
    const s = summarize(c.distribution);
    lines.push(
      `| ${c.label} | ${s.count} | ${s.p50} | ${s.p99} | ${s.p999} | ${s.max} | ${ratio(s.p99, base?.p99)} | ${ratio(s.p999, base?.p999)} |`,
    );
  }
  return lines.join('\n');
}
