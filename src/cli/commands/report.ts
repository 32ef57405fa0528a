import { defineCommand, UsageError } from '../command.js';
import { runReport } from '../report.js';

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'tables and plots from saved latency histograms (.hgrm)',
  usage: 'urnd report FILE.hgrm… [--svg OUT.svg] [--title TEXT] [--unit UNIT]',
  description: `Reads latency histograms saved as HdrHistogram percentile distributions
(.hgrm, as npm run bench writes under results/) and prints a markdown table
of count, p50, p99, p99.9 and max per file, with each file's p99 and p99.9
as a ratio to the first file's. With --svg, also writes their percentile
curves overlaid.`,
  positionals: 'FILE.hgrm…',
  options: {
    svg: { type: 'string', value: 'FILE', default: 'none', help: 'also write an SVG plot of the curves to FILE' },
    title: { type: 'string', value: 'TEXT', default: '"Latency by percentile"', help: "the plot's title" },
    unit: { type: 'string', value: 'UNIT', default: 'ms', help: "the values' unit, for labels" },
  },
  async run({ values: v, positionals }, write) {
    if (positionals.length === 0) throw new UsageError('give at least one .hgrm file');
    await runReport(
      {
        files: positionals,
        ...(v.svg === undefined ? {} : { svg: v.svg }),
        title: v.title ?? 'Latency by percentile',
        unit: v.unit ?? 'ms',
      },
      write,
    );
    return 0;
  },
});
