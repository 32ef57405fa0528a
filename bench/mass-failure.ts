/**
 * Mass failure under load: the worker-side loop and the shared contract.
 * A resolver thread issues resolves at a fixed rate against the shared
 * StatusTable while the main thread fails 50%, then 100% of the targets at
 * once, then recovers them. Latency is measured from each query's intended
 * send time, not from when the loop got to it, so a stall shows up in every
 * query it delayed (no coordinated omission).
 *
 * Every other query goes to a control: the same plan over a second table
 * that stays healthy throughout. Control and subject queries share every
 * time window, so a stall of the machine hits both alike, and "subject ÷
 * control in the same phase" isolates what health does to latency.
 */
import v8 from 'node:v8';
import * as hdr from 'hdr-histogram-js';
import { RecordType, type Plan } from '../src/config/plan.js';
import { StatusTable } from '../src/table/status-table.js';
import { Resolver, RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { monotonicMs } from '../src/metrics/clock.js';

/** Phase 0 warms the JIT up and is not reported. */
export const PHASES = ['warm-up', 'healthy', 'half down', 'all down', 'recovered'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Control words (Int32) shared by the main thread and the load thread. */
export const kPhaseField = 0;
export const kStopField = 1;
export const kQueriesField = 2;
export const kControlFields = 16;

export interface LoadWorkerData {
  readonly plan: Plan;
  readonly statusBuffer: SharedArrayBuffer;
  /** A second table over the same plan that stays healthy: the control. */
  readonly controlStatusBuffer: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly ratePerSec: number;
  readonly names: readonly string[];
  readonly seed: number;
}

export interface LoadResult {
  /** Compressed HdrHistogram per phase, latency in ns from the intended send time. */
  readonly histograms: readonly string[];
  /** The same for the control queries, interleaved with them. */
  readonly controlHistograms: readonly string[];
  readonly queries: readonly number[];
  /** The load thread's heap used at the end of each phase, bytes. */
  readonly heapUsed: readonly number[];
  readonly answersEmpty: number;
  /**
   * Per phase window, in order (a window ends when the phase word changes):
   * its phase and its worst subject latency, ns. Shows whether a phase's
   * tail came from one bad window or from all of them.
   */
  readonly windowPhase: readonly number[];
  readonly windowMaxNs: readonly number[];
}

/** Runs on the load thread until the stop word is set. */
export function runLoad(data: LoadWorkerData): LoadResult {
  const control = new Int32Array(data.control);
  const table = StatusTable.attach(data.statusBuffer);
  const resolver = new Resolver(data.plan, table, { seed: data.seed });
  const controlResolver = new Resolver(data.plan, StatusTable.attach(data.controlStatusBuffer), { seed: data.seed + 1 });
  const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
  const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: 3 });
  const histograms = PHASES.map(build);
  const controlHistograms = PHASES.map(build);
  const queries = PHASES.map(() => 0);
  const heapUsed = PHASES.map(() => 0);
  const names = data.names;
  const periodMs = 1000 / data.ratePerSec;
  let empty = 0;
  let phase = Atomics.load(control, kPhaseField);
  const maxWindows = 4096;
  const windowPhase = new Int32Array(maxWindows);
  const windowMaxNs = new Float64Array(maxWindows);
  let win = 0;
  windowPhase[0] = phase;
  let i = 0;
  const t0 = monotonicMs();
  while (Atomics.load(control, kStopField) === 0) {
    const intended = t0 + i * periodMs;
    // Busy-paced on a clock that allocates nothing (monotonicMs): reads
    // that allocated made the loop's own scavenges part of the tail this
    // scenario reports. (The loop still makes about 16 bytes a query, from
    // where is not known: a scavenge every 1.3-2.5 s instead of ~225 ms.)
    let now = monotonicMs();
    while (now < intended) now = monotonicMs();
    const p = Atomics.load(control, kPhaseField);
    if (p !== phase) {
      heapUsed[phase] = v8.getHeapStatistics().used_heap_size;
      phase = p;
      if (win < maxWindows - 1) win += 1;
      windowPhase[win] = p;
    }
    // Subject and control alternate query by query (each walks the names in turn).
    const subject = (i & 1) === 0;
    const count = (subject ? resolver : controlResolver).resolveInto(names[(i >>> 1) % names.length] as string, RecordType.A, out);
    empty += count <= 0 ? 1 : 0;
    const done = monotonicMs();
    const ns = Math.max(1, Math.round((done - intended) * 1e6));
    ((subject ? histograms : controlHistograms)[phase] as hdr.Histogram).recordValue(ns);
    if (subject && ns > (windowMaxNs[win] as number)) windowMaxNs[win] = ns;
    queries[phase] = (queries[phase] as number) + 1;
    i += 1;
    if ((i & 1023) === 0) Atomics.store(control, kQueriesField, i);
  }
  heapUsed[phase] = v8.getHeapStatistics().used_heap_size;
  const encode = (list: hdr.Histogram[]) => list.map((h) => hdr.encodeIntoCompressedBase64(h));
  const result = { histograms: encode(histograms), controlHistograms: encode(controlHistograms), queries, heapUsed, answersEmpty: empty, windowPhase: Array.from(windowPhase.subarray(0, win + 1)), windowMaxNs: Array.from(windowMaxNs.subarray(0, win + 1)) };
  for (const h of [...histograms, ...controlHistograms]) h.destroy();
  return result;
}
