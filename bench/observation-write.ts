import { Bench } from 'tinybench';
import { ObservationTable } from '../src/table/observation-table.js';
import { Result } from '../src/table/layout.js';
import { median } from './harness.js';

/** One kind of probe outcome a checker thread writes, pass after pass. */
export const OBSERVATION_KINDS = ['success', 'failure', 'flapping'] as const;
export type ObservationKind = (typeof OBSERVATION_KINDS)[number];

export interface ObservationWriteRow {
  readonly kind: ObservationKind;
  /** Median over rounds of each round's p50, ns per `record` call. */
  readonly nsPerWriteP50: number;
  readonly nsPerWriteP99: number;
  readonly samples: number;
}

/**
 * The checker's write path as a micro-benchmark (tinybench): one sample is
 * a pass of `ObservationTable.record` over every slot of one vantage, as a
 * checker thread makes after its probes. "success" and "failure" repeat one
 * result (the run count saturates); "flapping" alternates it every pass (the
 * run restarts at 1 each time). The kinds take turns within each round,
 * the first one rotating, so drift lands on all alike.
 */
export async function measureObservationWrite(
  capacity: number,
  rounds: number,
  taskMs: number,
): Promise<ObservationWriteRow[]> {
  const table = ObservationTable.create(capacity, 1);
  let pass = 0;
  let sink = 0;
  const writePass = (kind: ObservationKind) => () => {
    pass += 1;
    const result =
      kind === 'success'
        ? Result.SUCCESS
        : kind === 'failure'
          ? Result.FAILURE
          : (pass & 1) === 0
            ? Result.SUCCESS
            : Result.FAILURE;
    const latencyUs = result === Result.SUCCESS ? 850 : 1_000_000;
    for (let slot = 0; slot < capacity; slot++) sink ^= table.record(0, slot, result, latencyUs);
  };
  const perKind = new Map<ObservationKind, { p50: number[]; p99: number[]; samples: number }>();
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({
      time: taskMs,
      iterations: 16,
      warmupTime: round === 0 ? taskMs : 0,
      warmupIterations: round === 0 ? 16 : 1,
    });
    for (let k = 0; k < OBSERVATION_KINDS.length; k++) {
      const kind = OBSERVATION_KINDS[(k + round) % OBSERVATION_KINDS.length] as ObservationKind;
      bench.add(kind, writePass(kind));
    }
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`observation write bench: task ${task.name} ${r.state}`);
      const entry = perKind.get(task.name as ObservationKind) ?? { p50: [], p99: [], samples: 0 };
      entry.p50.push((r.latency.p50 / capacity) * 1e6);
      entry.p99.push((r.latency.p99 / capacity) * 1e6);
      entry.samples += r.latency.samplesCount;
      perKind.set(task.name as ObservationKind, entry);
    }
  }
  if (sink === 0.5) throw new Error('unreachable');
  return OBSERVATION_KINDS.map((kind) => {
    const e = perKind.get(kind) ?? { p50: [], p99: [], samples: 0 };
    return { kind, nsPerWriteP50: median(e.p50), nsPerWriteP99: median(e.p99), samples: e.samples };
  });
}
