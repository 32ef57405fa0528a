/**
 * How often this machine stops a busy thread, with nothing of ours running:
 * a worker thread that only reads the clock, in a loop meant to allocate
 * nothing (its collections are counted), for a fixed time. Every gap between two readings over 1 ms is a
 * stall the thread did not cause. The mass-failure scenario measures it just
 * before its phases, so its report can set the stalls its phases caught
 * beside the rate the machine showed on its own.
 */
import v8 from 'node:v8';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { monotonicMs } from '../src/metrics/clock.js';

export interface StallFloor {
  readonly seconds: number;
  /** Gaps between readings over 1 ms, and the longest, ms. */
  readonly stallsOver1ms: number;
  readonly longestMs: number;
  /** The thread's own garbage collections meanwhile (0: every gap was the machine's). */
  readonly collections: number;
}

/** Spins on the clock for `durationMs` on this thread. */
export function spinForStalls(durationMs: number): StallFloor {
  const gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  const t0 = monotonicMs();
  let last = t0;
  let stalls = 0;
  let longest = 0;
  for (;;) {
    const now = monotonicMs();
    const gap = now - last;
    if (gap > 1) stalls += 1;
    if (gap > longest) longest = gap;
    last = now;
    if (now - t0 >= durationMs) break;
  }
  const collections = gcProfiler.stop().statistics.length;
  return { seconds: (last - t0) / 1000, stallsOver1ms: stalls, longestMs: longest, collections };
}

/** Runs `spinForStalls` on a worker thread of its own. */
export async function measureStallFloor(durationMs: number): Promise<StallFloor> {
  const worker = new Worker(new URL('./workers/stall-floor-worker.js', import.meta.url), { workerData: durationMs });
  try {
    return await new Promise<StallFloor>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * The worker's entry: spin for the time it was given, post the result. A
 * short unmeasured spin first: until the loop is optimized, every clock
 * reading is a boxed double, and the collections that garbage brings would
 * count as the machine's stalls. Even then, about one run in eight compiled
 * the loop with the clock's array left allocated (14 collections in 1.5 s),
 * so a measurement with collections of its own is taken again, up to three
 * times in all; the one posted carries its count either way.
 */
export function stallFloorWorkerMain(): void {
  spinForStalls(300);
  let floor = spinForStalls(workerData as number);
  for (let attempt = 1; attempt < 3 && floor.collections > 0; attempt++) floor = spinForStalls(workerData as number);
  parentPort?.postMessage(floor);
}
