/**
 * How often this machine stops a busy thread, with nothing of ours running:
 * a worker thread that only reads the clock, in a loop that allocates
 * nothing, for a fixed time. Every gap between two readings over 1 ms is a
 * stall the thread did not cause. The mass-failure scenario measures it just
 * before its phases, so its report can set the stalls its phases caught
 * beside the rate the machine showed on its own.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { monotonicMs } from '../src/metrics/clock.js';

export interface StallFloor {
  readonly seconds: number;
  /** Gaps between readings over 1 ms, and the longest, ms. */
  readonly stallsOver1ms: number;
  readonly longestMs: number;
}

/** Spins on the clock for `durationMs` on this thread. */
export function spinForStalls(durationMs: number): StallFloor {
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
  return { seconds: (last - t0) / 1000, stallsOver1ms: stalls, longestMs: longest };
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

/** The worker's entry: spin for the time it was given, post the result. */
export function stallFloorWorkerMain(): void {
  parentPort?.postMessage(spinForStalls(workerData as number));
}
