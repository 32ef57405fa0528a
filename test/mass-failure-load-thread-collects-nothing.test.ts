import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';
import { massPlan } from '../bench/mass-failure.bench.js';
import {
  kControlFields,
  kEpochField,
  kPhaseField,
  kQueriesField,
  kStopField,
  type LoadResult,
  type LoadWorkerData,
} from '../bench/mass-failure.js';

/**
 * The mass-failure benchmark reports latency tails of a few tens of µs; a
 * collection on its own load thread is a pause of 0.3–0.6 ms that lands in
 * whichever phase it falls in. The load loop (the real one, on its worker
 * thread, over the benchmark's own plan) must run every measured phase
 * without one: no collection counted by v8.GCProfiler, and no heap growth
 * between the end of the first measured phase and the end of the last.
 */
const workerFile = fileURLToPath(new URL('../dist/bench/workers/mass-failure-worker.js', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mass-failure load thread', () => {
  it('collects no garbage and grows no heap while the measured phases run', async () => {
    if (!existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\` (npm test does)`);
    const plan = massPlan();
    const used = plan.checks.map((c) => c.slot);
    const healthyTable = () => {
      const t = StatusTable.create(plan.cell.capacity);
      for (const s of used) t.set(s, Status.HEALTHY);
      t.publish();
      return t;
    };
    const table = healthyTable();
    const controlTable = healthyTable();
    const control = new Int32Array(new SharedArrayBuffer(4 * kControlFields));
    const data: LoadWorkerData = {
      plan,
      statusBuffer: table.buffer,
      controlStatusBuffer: controlTable.buffer,
      control: control.buffer as SharedArrayBuffer,
      ratePerSec: 100_000,
      names: Array.from({ length: 1000 }, (_, n) => `n${n}.mass.test`),
      seed: 7,
    };
    const flip = (fraction: number, status: Status) => {
      for (let k = 0; k < Math.round(used.length * fraction); k++) table.set(used[k] as number, status);
      table.publish();
    };
    const worker = new Worker(workerFile, { workerData: data });
    try {
      const result = new Promise<LoadResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // Cycles through the four phases as the benchmark runs them; each
      // starts the record over (the epoch word) as its healthy phase begins.
      const cycle = async (phaseMs: number) => {
        for (const [phase, fraction, status] of [
          [1, 0, Status.HEALTHY],
          [2, 0.5, Status.UNHEALTHY],
          [3, 1, Status.UNHEALTHY],
          [4, 1, Status.HEALTHY],
        ] as const) {
          flip(fraction, status);
          Atomics.store(control, kPhaseField, phase);
          if (phase === 1) Atomics.add(control, kEpochField, 1);
          await sleep(phaseMs);
        }
      };
      // Warm-up, not measured: until the loop has run long enough to be
      // optimized; bounded by count and by time.
      const warmUntil = Date.now() + 15_000;
      while (Atomics.load(control, kQueriesField) < 400_000 && Date.now() < warmUntil) await cycle(100);
      expect(Atomics.load(control, kQueriesField)).toBeGreaterThanOrEqual(400_000);
      // The measured cycle.
      await cycle(500);
      Atomics.store(control, kStopField, 1);
      const load = await result;
      for (let phase = 1; phase <= 4; phase++) expect(load.queries[phase]).toBeGreaterThan(10_000);
      expect(load.collections).toEqual({ count: 0, kinds: [], totalMs: 0 });
      // heapUsed[p] is read when phase p ends: the loop itself adds nothing.
      const growth = (load.heapUsed[4] as number) - (load.heapUsed[1] as number);
      expect(growth).toBeLessThan(64 * 1024);
    } finally {
      await worker.terminate();
    }
  }, 30_000);
});
