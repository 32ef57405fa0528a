import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { HdrCounts } from '../bench/hdr-counts.js';

/**
 * The mass-failure load loop counts latencies with HdrCounts (integer
 * arithmetic, small enough to inline) and copies them into an
 * hdr-histogram-js histogram at the end. That histogram must be the one
 * recording each value directly would have built: same percentiles, same
 * min and max, same .hgrm text.
 */
const build = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 });

/** Whole numbers spread over every bucket: 2^k plus a part below it, some past 2^31. */
const value = fc
  .tuple(fc.integer({ min: 0, max: 35 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([k, f]) => Math.min(60_000_000_000, Math.floor(2 ** k * (1 + f))));

describe('HdrCounts', () => {
  it('copies into the same histogram as recording each value there', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
        const direct = build();
        const counts = new HdrCounts();
        for (const v of values) {
          direct.recordValue(v);
          counts.record(v);
        }
        const copied = build();
        counts.addTo(copied);
        try {
          expect(copied.totalCount).toBe(direct.totalCount);
          expect(copied.minNonZeroValue).toBe(direct.minNonZeroValue);
          expect(copied.maxValue).toBe(direct.maxValue);
          for (const p of [0, 50, 90, 99, 99.9, 100])
            expect(copied.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
          expect(copied.outputPercentileDistribution(5, 1)).toBe(direct.outputPercentileDistribution(5, 1));
        } finally {
          direct.destroy();
          copied.destroy();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts values below 1 as 1, and forgets everything on reset', () => {
    const counts = new HdrCounts();
    counts.record(0);
    counts.record(-5);
    counts.record(3_000_000_000);
    const h = build();
    counts.addTo(h);
    expect(h.totalCount).toBe(3);
    expect(h.getValueAtPercentile(50)).toBe(1);
    expect(h.maxValue).toBe(3_000_000_000);
    expect(h.minNonZeroValue).toBe(1);
    h.destroy();
    counts.reset();
    const empty = build();
    counts.addTo(empty);
    expect(empty.totalCount).toBe(0);
    empty.destroy();
  });
});
