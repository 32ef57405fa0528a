/**
 * The floor under probe start lateness: the checker's own FixedScheduler,
 * with the same checks and schedule as one checker thread, on a thread of
 * its own that does nothing else — no probe, no socket. What it measures
 * in a window is how late a timer of this process starts on this machine
 * then (hypervisor steal, the other threads, the timer's whole-ms clock),
 * so each window of the probes benchmark shows the checkers' lateness
 * beside what any timer saw at the same time.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { FixedScheduler } from '../src/check/fixed-scheduler.js';
import type { ScheduledCheck } from '../src/check/schedule.js';
import { SharedHistogram } from '../src/metrics/shared-histogram.js';

export interface TimerFloorData {
  readonly checks: readonly ScheduledCheck[];
  readonly epochMs: number;
  /** A SharedHistogram.buffer(1): lateness, µs. */
  readonly histogram: SharedArrayBuffer;
  /** Int32 word 0: set to 1 to stop. */
  readonly stop: SharedArrayBuffer;
  /** Float64 word 0: this thread's busy time so far, ms (event-loop utilization's active time), updated every 100 ms. */
  readonly busy: SharedArrayBuffer;
}

/** Runs the schedule until the stop word is set; resolves with the starts it made. */
export async function runTimerFloor(data: TimerFloorData): Promise<number> {
  let starts = 0;
  const schedule = new FixedScheduler(
    data.epochMs,
    data.checks.map((check) => ({ check })),
    new SharedHistogram(data.histogram),
    () => (starts += 1),
  );
  // So the benchmark can take this thread's CPU out of the checkers' (it
  // reads the process's, and this thread is not theirs).
  const busy = new Float64Array(data.busy);
  const update = () => void (busy[0] = performance.eventLoopUtilization().active);
  const updates = setInterval(update, 100);
  schedule.start();
  const stop = new Int32Array(data.stop);
  const wait = Atomics.waitAsync(stop, 0, 0);
  if (wait.async) await wait.value;
  schedule.stop();
  clearInterval(updates);
  update();
  return starts;
}

/** Worker entry: `new Worker(thisFile, { workerData })` posts the start count when stopped. */
export function timerFloorWorkerMain(): void {
  if (parentPort === null) return;
  const port = parentPort;
  void runTimerFloor(workerData as TimerFloorData).then((starts) => port.postMessage(starts));
}
