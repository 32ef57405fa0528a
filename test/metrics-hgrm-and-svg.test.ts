import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { parseHgrm, summarize, valueAt } from '../src/metrics/hgrm.js';
import { linePlot, percentilePlot } from '../src/metrics/svg.js';
import { reportTable } from '../src/cli/report.js';

/** .hgrm files written by hdr-histogram-js parse back to the same percentiles, and plots are well-formed SVG. */
function histogramText(values: number[]): { text: string; h: hdr.Histogram } {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e9, numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(v);
  return { text: h.outputPercentileDistribution(5, 1), h };
}

describe('hgrm', () => {
  it('parses percentiles, max and count as HdrHistogram computed them', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % 5000));
    const { text, h } = histogramText(values);
    const d = parseHgrm(text);
    expect(d.count).toBe(10_000);
    expect(d.max).toBe(h.maxValue);
    for (const q of [50, 99, 99.9]) {
      // within HdrHistogram's 3-significant-digit resolution of its own answer
      expect(Math.abs(valueAt(d, q) - h.getValueAtPercentile(q)) / h.getValueAtPercentile(q)).toBeLessThan(0.01);
    }
    expect(summarize(d).count).toBe(10_000);
    h.destroy();
  });

  it('rejects text that is not a percentile distribution', () => {
    expect(() => parseHgrm('hello\nworld', 'x.hgrm')).toThrow(/x\.hgrm: no percentile rows/);
  });

  it('report table gives ratios to the first histogram', () => {
    const a = histogramText(Array.from({ length: 1000 }, () => 100));
    const b = histogramText(Array.from({ length: 1000 }, () => 200));
    const table = reportTable(
      [
        { label: 'a', distribution: parseHgrm(a.text) },
        { label: 'b', distribution: parseHgrm(b.text) },
      ],
      'µs',
    );
    expect(table.split('\n')[3]).toMatch(/^\| b \| 1000 \| 200 \| 200 \| 200 \| 200 \| 2\.000 \| 2\.000 \|$/);
    a.h.destroy();
    b.h.destroy();
  });
});

describe('svg', () => {
  it('percentile and line plots are SVG documents with one path per series and sane axis labels', () => {
    const { text, h } = histogramText([1, 2, 3, 50, 100]);
    const svg = percentilePlot('t <1>', 'µs', [
      { label: 'one', distribution: parseHgrm(text) },
      { label: 'two', distribution: parseHgrm(text) },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)?.length).toBe(2);
    expect(svg).toContain('t &lt;1&gt;');
    for (const label of ['90%', '99%', '99.9%', '99.999%']) expect(svg).toContain(`>${label}<`);
    expect(svg).not.toContain('NaN');
    const line = linePlot(
      'p',
      'n',
      'ms',
      [
        {
          label: 'engine',
          points: [
            [1, 5],
            [10, 5],
            [10000, 6],
          ],
        },
      ],
      true,
    );
    expect(line).toContain('>10000<'.replace('10000', '10,000'));
    expect(line).not.toContain('NaN');
    h.destroy();
  });
});
