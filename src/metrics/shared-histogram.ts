/**
 * A latency histogram in shared memory: a fixed array of Int32 counts over
 * log-linear buckets, which its writer thread adds to with Atomics while any
 * other thread reads it whenever it likes. An HdrHistogram lives in one
 * thread's heap and is only seen when its owner hands it over; this one can
 * be read mid-run, and two reads bracket a window ("lateness p99 of the last
 * second", or of one phase of a benchmark).
 *
 * Buckets: 1 µs wide below 128 µs; above that, 64 per power of two, so a
 * bucket is at most 1/64 (1.6%) of its values wide, up to 2³¹ µs. Counts
 * are unsigned 32-bit and wrap; `subtractCounts` differences them modulo
 * 2³², so a window is right as long as it holds fewer than 2³² values.
 */

/** Buckets of a SharedHistogram. */
export const SHARED_HISTOGRAM_BUCKETS = 128 + 24 * 64;

const LINEAR = 128;
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;

/** The bucket holding `us` (clamped to 0 … 2³¹ − 1; fractions truncated). */
export function sharedHistogramBucket(us: number): number {
  const v = us >= 0x7fffffff ? 0x7fffffff : us <= 0 ? 0 : us | 0;
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS; // 1 … 24
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** The highest value a bucket holds, µs: what a percentile reports (never understated). */
export function sharedHistogramBucketValue(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const shift = ((bucket - LINEAR) >> SUB_BITS) + 1;
  const top = ((bucket - LINEAR) & (SUB - 1)) + SUB;
  return (top + 1) * 2 ** shift - 1;
}

/** One writer's histogram: a view of SHARED_HISTOGRAM_BUCKETS counts in a SharedArrayBuffer. */
export class SharedHistogram {
  readonly counts: Int32Array;

  /** `index`-th histogram of a buffer made by `SharedHistogram.buffer(n)`. */
  constructor(buffer: SharedArrayBuffer, index = 0) {
    this.counts = new Int32Array(buffer, index * SHARED_HISTOGRAM_BUCKETS * 4, SHARED_HISTOGRAM_BUCKETS);
  }

  /** A zeroed buffer for `n` histograms (one per writer). */
  static buffer(n = 1): SharedArrayBuffer {
    return new SharedArrayBuffer(n * SHARED_HISTOGRAM_BUCKETS * 4);
  }

  /** Counts one value, µs. */
  record(us: number): void {
    Atomics.add(this.counts, sharedHistogramBucket(us), 1);
  }
}

/**
 * The counts of every histogram in `buffer`, summed bucket by bucket, as of
 * now (each count read atomically). Take two and `subtractCounts` for a window.
 */
export function readCounts(buffer: SharedArrayBuffer): Float64Array {
  const all = new Int32Array(buffer);
  const n = all.length / SHARED_HISTOGRAM_BUCKETS;
  const out = new Float64Array(SHARED_HISTOGRAM_BUCKETS);
  for (let h = 0; h < n; h++) {
    const base = h * SHARED_HISTOGRAM_BUCKETS;
    for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++)
      out[b] = (out[b] as number) + (Atomics.load(all, base + b) >>> 0);
  }
  return out;
}

/** Counts recorded between two reads: `later − earlier`, per bucket, modulo 2³² per writer sum. */
export function subtractCounts(later: Float64Array, earlier: Float64Array): Float64Array {
  const out = new Float64Array(SHARED_HISTOGRAM_BUCKETS);
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) {
    const d = (later[b] as number) - (earlier[b] as number);
    out[b] = d >= 0 ? d : d + 2 ** 32;
  }
  return out;
}

/** Adds `more` into `into`, bucket by bucket (merging windows). */
export function addCounts(into: Float64Array, more: Float64Array): void {
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) into[b] = (into[b] as number) + (more[b] as number);
}

/** Values counted. */
export function countsTotal(counts: Float64Array): number {
  let t = 0;
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) t += counts[b] as number;
  return t;
}

/**
 * The value at percentile `q` (0–100), µs: the highest value of the bucket
 * holding the ⌈q% × total⌉-th smallest value (HdrHistogram's rule). 0 when empty.
 */
export function countsPercentile(counts: Float64Array, q: number): number {
  const total = countsTotal(counts);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, q)) / 100) * total));
  let seen = 0;
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) {
    seen += counts[b] as number;
    if (seen >= rank) return sharedHistogramBucketValue(b);
  }
  return sharedHistogramBucketValue(SHARED_HISTOGRAM_BUCKETS - 1);
}
