/**
 * Cells for the aggregator benchmarks: every slot a probe check, so every
 * slot takes the full probe path, and a way to make a share of them
 * unhealthy by writing FAILURE words whose run has reached the threshold.
 *
 * `compileConfig` takes ~0.35 s for 16,384 checks but ~2 s for 131,072 and
 * would take ~16 s and >1 GiB for 1,048,576 (measured on the 2-core bench
 * machine), so the large cell builds the four per-slot arrays the aggregator
 * reads (`AggregatorPlan`) directly; the small one goes through the config.
 */
import { packReason } from '../src/table/failure-reason.js';
import { compileConfig } from '../src/config/compile.js';
import { SlotKind } from '../src/config/plan.js';
import { Aggregator, type AggregatorPlan } from '../src/aggregate/aggregator.js';
import { Result } from '../src/table/layout.js';
import { packObservation } from '../src/table/observation-word.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';

/** failureThreshold of every bench check (Route 53's default). */
export const BENCH_THRESHOLD = 3;

/** Largest cell built through compileConfig; larger ones build the arrays directly. */
export const MAX_CONFIG_CAPACITY = 16_384;

export interface AggregateCell {
  readonly plan: AggregatorPlan;
  readonly observations: ObservationTable;
  readonly status: StatusTable;
  readonly aggregator: Aggregator;
  readonly capacity: number;
  readonly vantages: number;
}

/** A bench plan and how it was made. */
export interface BenchPlan {
  readonly plan: AggregatorPlan;
  readonly built: 'compileConfig' | 'direct';
  /** Time it took to build, ms. */
  readonly buildMs: number;
}

/** A plan with a tcp check in every slot, through the config document. */
export function probePlanViaConfig(capacity: number, threshold = BENCH_THRESHOLD): AggregatorPlan {
  return compileConfig({
    cell: { name: 'bench', capacity },
    checks: Array.from({ length: capacity }, (_, i) => ({
      id: `c${i}`,
      slot: i,
      type: 'tcp',
      host: '127.0.0.1',
      port: 9,
      failureThreshold: threshold,
    })),
    zones: [{ origin: 't.test' }],
    records: [],
  });
}

/** The same facts as probePlanViaConfig, built directly (no check ids). */
export function probePlanDirect(capacity: number, threshold = BENCH_THRESHOLD): AggregatorPlan {
  return {
    cell: { name: 'bench', capacity },
    slotKind: new Uint8Array(capacity).fill(SlotKind.PROBE),
    slotFlags: new Uint8Array(capacity),
    slotThreshold: new Uint32Array(capacity).fill(threshold),
    checks: [],
  };
}

const TIMEOUT_REASON = packReason('timeout', 0);

/**
 * Writes every vantage row: the first round(unhealthyFraction × capacity)
 * slots FAILURE (with a `timeout` reason, as a checker writes it), the rest
 * SUCCESS (reason none), each with a run of `run` (≥ the threshold flips
 * every slot on the next tick). No allocation: safe in timed loops.
 */
export function writeObservations(
  observations: ObservationTable,
  unhealthyFraction: number,
  run = BENCH_THRESHOLD,
): void {
  const down = Math.round(unhealthyFraction * observations.capacity);
  const fail = packObservation(Result.FAILURE, run, 2_000_000);
  const ok = packObservation(Result.SUCCESS, run, 1_000);
  for (let v = 0; v < observations.vantages; v++) {
    const start = v * observations.capacity;
    observations.words.fill(fail, start, start + down);
    observations.words.fill(ok, start + down, start + observations.capacity);
    observations.reasons.fill(TIMEOUT_REASON, start, start + down);
    observations.reasons.fill(0, start + down, start + observations.capacity);
  }
}

/**
 * A plan with a tcp check (threshold BENCH_THRESHOLD) in every slot: through
 * compileConfig up to MAX_CONFIG_CAPACITY, directly above it or when `build`
 * says 'direct' (the allocation script, which only needs the same per-slot
 * facts, skips the config's ~0.35 s).
 */
export function benchPlan(capacity: number, build: 'auto' | 'direct' = 'auto'): BenchPlan {
  const started = performance.now();
  const built = build === 'auto' && capacity <= MAX_CONFIG_CAPACITY ? 'compileConfig' : 'direct';
  const plan = built === 'compileConfig' ? probePlanViaConfig(capacity) : probePlanDirect(capacity);
  return { plan, built, buildMs: performance.now() - started };
}

/** A settled cell on `plan`: observations written and one tick run, so every slot holds its status. */
export function aggregateCell(plan: AggregatorPlan, vantages: number, unhealthyFraction: number): AggregateCell {
  const capacity = plan.cell.capacity;
  const observations = ObservationTable.create(capacity, vantages);
  const status = StatusTable.create(capacity);
  const aggregator = new Aggregator(plan, observations, status);
  writeObservations(observations, unhealthyFraction);
  aggregator.tick();
  return { plan, observations, status, aggregator, capacity, vantages };
}
