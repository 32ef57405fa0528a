import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  SharedHistogram,
  SHARED_HISTOGRAM_BUCKETS,
  countsPercentile,
  countsTotal,
  readCounts,
  sharedHistogramBucket,
  sharedHistogramBucketValue,
  subtractCounts,
} from '../src/metrics/shared-histogram.js';
import { seededRandom } from '../src/resolve/random.js';

describe('SharedHistogram', () => {
  it('puts every value in a bucket whose range holds it and is at most 1/64 of it wide', () => {
    let prevTop = -1;
    for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) {
      const top = sharedHistogramBucketValue(b);
      const low = prevTop + 1;
      expect(top).toBeGreaterThanOrEqual(low);
      expect(sharedHistogramBucket(low)).toBe(b);
      expect(sharedHistogramBucket(top)).toBe(b);
      if (low >= 128) expect((top - low + 1) / low).toBeLessThanOrEqual(1 / 64);
      prevTop = top;
    }
    expect(prevTop).toBe(0x7fffffff);
    expect(sharedHistogramBucket(-5)).toBe(0);
    expect(sharedHistogramBucket(1e12)).toBe(SHARED_HISTOGRAM_BUCKETS - 1);
  });

  it('gives percentiles within a bucket of the exact ones', () => {
    const h = new SharedHistogram(SharedHistogram.buffer(1));
    const rnd = seededRandom(3);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor(Math.exp(rnd() * 14)); // 1 µs … ~1.2 s, log-spread
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    const counts = readCounts(h.counts.buffer as SharedArrayBuffer);
    expect(countsTotal(counts)).toBe(values.length);
    for (const q of [50, 90, 99, 99.9, 100]) {
      const exact = values[Math.ceil((q / 100) * values.length) - 1] as number;
      const got = countsPercentile(counts, q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact + Math.max(0, exact / 64));
    }
    expect(countsPercentile(new Float64Array(SHARED_HISTOGRAM_BUCKETS), 99)).toBe(0);
  });

  it('a window between two reads holds exactly what was recorded in it, across a count wrap', () => {
    const buffer = SharedHistogram.buffer(2);
    const a = new SharedHistogram(buffer, 0);
    const b = new SharedHistogram(buffer, 1);
    a.counts[sharedHistogramBucket(500)] = -1; // 2³² − 1 as unsigned: the next add wraps
    a.record(10);
    const before = readCounts(buffer);
    a.record(500);
    a.record(500);
    b.record(500);
    b.record(9000);
    const window = subtractCounts(readCounts(buffer), before);
    expect(countsTotal(window)).toBe(4);
    expect(window[sharedHistogramBucket(500)]).toBe(3);
    expect(countsPercentile(window, 50)).toBeLessThan(510);
    expect(countsPercentile(window, 100)).toBeGreaterThanOrEqual(9000);
  });

  it('is read whole while other threads record into it', async () => {
    const buffer = SharedHistogram.buffer(2);
    const perWriter = 200_000;
    const code = `
      const { workerData } = require('node:worker_threads');
      const counts = new Int32Array(workerData.buffer, workerData.index * ${SHARED_HISTOGRAM_BUCKETS} * 4, ${SHARED_HISTOGRAM_BUCKETS});
      for (let i = 0; i < ${perWriter}; i++) Atomics.add(counts, i % 200, 1);
    `;
    const writers = [0, 1].map((index) => new Worker(code, { eval: true, workerData: { buffer, index } }));
    const ended = writers.map((w) => new Promise((r) => w.once('exit', r)));
    let last = 0;
    let reads = 0;
    let done = false;
    void Promise.all(ended).then(() => (done = true));
    while (!done && reads < 10_000) {
      const total = countsTotal(readCounts(buffer));
      expect(total).toBeGreaterThanOrEqual(last); // counts only grow
      last = total;
      reads += 1;
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(ended);
    expect(countsTotal(readCounts(buffer))).toBe(2 * perWriter);
  });
});
