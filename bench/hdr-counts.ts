import type * as hdr from 'hdr-histogram-js';

/** Sub-buckets of HdrHistogram at 3 significant digits: 2048, half of them 1024. */
const kSubBucketHalfMagnitude = 10;
const kSubBucketMask = 2047;
/** Values from 1 to 2^31 - 1 fit the integer arithmetic below. */
const kLargestCounted = 0x7fffffff;
/** Index of 2^31 - 1, plus one. */
const kCountsLength = 22528;

/**
 * Latency counts in HdrHistogram's own bucket layout (lowest value 1, 3
 * significant digits), recorded with integer arithmetic only.
 *
 * Why not hdr-histogram-js' `recordValue` in a load loop: it inlines about
 * 370 bytes of bytecode (log2, pow, floor through six calls), and V8 inlines
 * at most 920 bytes into one function. A loop that also reads the clock twice
 * a query ran out of budget and called `process.hrtime()` out of line, whose
 * result array then could not be optimized away: 12 bytes a query, a young
 * collection every second or two. `record` is a few dozen bytes.
 *
 * `addTo` copies the counts into an hdr-histogram-js histogram of the same
 * layout, which then holds exactly what recording each value there would
 * have (test/hdr-counts-match-hdr-histogram.test.ts). Values of 2^31 ns
 * (2.1 s) and more are passed to that histogram as they come, off the fast
 * path.
 */
export class HdrCounts {
  private readonly counts = new Int32Array(kCountsLength);
  /** The smallest and largest value counted, exactly (HDR reports both as recorded). */
  private readonly extremes = Int32Array.of(kLargestCounted, 0);
  /** Values too large for the counts, kept as they are. */
  private readonly large: number[] = [];

  /** Counts one value (a whole number ≥ 1; smaller ones count as 1). */
  record(value: number): void {
    if (value > kLargestCounted) {
      this.large.push(value);
      return;
    }
    const v = value < 1 ? 1 : value | 0;
    const extremes = this.extremes;
    if (v < (extremes[0] as number)) extremes[0] = v;
    if (v > (extremes[1] as number)) extremes[1] = v;
    const index = indexOf(v);
    this.counts[index] = (this.counts[index] as number) + 1;
  }

  /** Forgets every value. */
  reset(): void {
    this.counts.fill(0);
    this.extremes[0] = kLargestCounted;
    this.extremes[1] = 0;
    this.large.length = 0;
  }

  /** Adds every value counted to `histogram` (lowest value 1, 3 significant digits). */
  addTo(histogram: hdr.Histogram): void {
    const min = this.extremes[0] as number;
    const max = this.extremes[1] as number;
    if (max === 0) {
      for (const value of this.large) histogram.recordValue(value);
      return;
    }
    // Each count lands at its bucket's lowest value, except that the
    // smallest and the largest value go in as they were, so min and max read
    // back exactly (they share their bucket with the rest of its count).
    const minIndex = indexOf(min);
    const maxIndex = indexOf(max);
    const total = this.counts.reduce((t, c) => t + c, 0);
    for (let index = 0; index < kCountsLength; index++) {
      let count = this.counts[index] as number;
      if (index === minIndex) count -= 1;
      if (index === maxIndex && total > 1) count -= 1;
      if (count > 0) histogram.recordValueWithCount(lowestValueAt(index), count);
    }
    histogram.recordValue(min);
    if (total > 1) histogram.recordValue(max);
    for (const value of this.large) histogram.recordValue(value);
  }
}

/** Where `v` (1 to 2^31 - 1) is counted: HdrHistogram's index for it. */
function indexOf(v: number): number {
  const bucket = 21 - Math.clz32(v | kSubBucketMask);
  return ((bucket + 1) << kSubBucketHalfMagnitude) + (v >>> bucket) - 1024;
}

/** The lowest value HdrHistogram keeps at `index` of this layout. */
function lowestValueAt(index: number): number {
  let bucket = (index >> kSubBucketHalfMagnitude) - 1;
  let sub = (index & 1023) + 1024;
  if (bucket < 0) {
    sub -= 1024;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}
