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
import { PacedClock } from './paced-clock.js';
import { HdrCounts } from './hdr-counts.js';

/** Phase 0 is the start-up before the first cycle and is not reported. */
export const PHASES = ['warm-up', 'healthy', 'half down', 'all down', 'recovered'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Control words (Int32) shared by the main thread and the load thread. */
export const kPhaseField = 0;
export const kStopField = 1;
export const kQueriesField = 2;
/**
 * Each change of this word starts the record over: histograms, counts,
 * windows and the collection count are reset. The warm-up runs whole cycles
 * and bumps it as each begins, as the first measured cycle does, so every path the measured part takes (phase
 * changes, the reset itself) has run, and been optimized, before it starts.
 */
export const kEpochField = 3;
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
  /**
   * Each stall: a query that waited over 1 ms after one that did not (the
   * first query a stall delayed waits longest). Its window, how far into
   * the window it was due (ms), and its wait (ms). Shows whether stalls
   * follow something the benchmark does, such as the flip at a window's start.
   */
  readonly stalls: {
    readonly window: readonly number[];
    readonly atMs: readonly number[];
    readonly waitMs: readonly number[];
  };
  /**
   * The load thread's own garbage collections since the last epoch began:
   * how many, of which kind, and their total time, ms. Zero when the loop
   * allocates nothing; any would sit in the tail the phases report.
   */
  readonly collections: { readonly count: number; readonly kinds: readonly string[]; readonly totalMs: number };
}

/** Runs on the load thread until the stop word is set. */
export function runLoad(data: LoadWorkerData): LoadResult {
  const control = new Int32Array(data.control);
  const table = StatusTable.attach(data.statusBuffer);
  const resolver = new Resolver(data.plan, table, { seed: data.seed });
  const controlResolver = new Resolver(data.plan, StatusTable.attach(data.controlStatusBuffer), {
    seed: data.seed + 1,
  });
  const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
  // Counted in HdrHistogram's layout with integer arithmetic (HdrCounts
  // says why), turned into HDR histograms once the run is over.
  const histograms = PHASES.map(() => new HdrCounts());
  const controlHistograms = PHASES.map(() => new HdrCounts());
  const queries = PHASES.map(() => 0);
  const heapUsed = PHASES.map(() => 0);
  const names = data.names;
  let empty = 0;
  let phase = Atomics.load(control, kPhaseField);
  let epoch = Atomics.load(control, kEpochField);
  const maxWindows = 4096;
  const windowPhase = new Int32Array(maxWindows);
  const windowMaxNs = new Float64Array(maxWindows);
  let win = 0;
  windowPhase[0] = phase;
  // The first query of each window, and the stalls (see LoadResult.stalls).
  const windowFirst = new Float64Array(maxWindows);
  const maxStalls = 4096;
  const stallWindow = new Int32Array(maxStalls);
  const stallQuery = new Float64Array(maxStalls);
  const stallNs = new Float64Array(maxStalls);
  let stalls = 0;
  let lastNs = 0;
  // Counts collections (callbacks around each GC only: nothing per query).
  const gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  let i = 0;
  const clock = new PacedClock(data.ratePerSec);
  while (Atomics.load(control, kStopField) === 0) {
    clock.waitFor(i);
    const p = Atomics.load(control, kPhaseField);
    if (p !== phase) {
      heapUsed[phase] = v8.getHeapStatistics().used_heap_size;
      phase = p;
      if (win < maxWindows - 1) win += 1;
      windowPhase[win] = p;
      windowFirst[win] = i;
    }
    const e = Atomics.load(control, kEpochField);
    if (e !== epoch) {
      epoch = e;
      for (const h of histograms) h.reset();
      for (const h of controlHistograms) h.reset();
      queries.fill(0);
      heapUsed.fill(0);
      empty = 0;
      windowMaxNs.fill(0);
      win = 0;
      windowPhase[0] = phase;
      windowFirst[0] = i;
      stalls = 0;
      gcProfiler.stop();
      gcProfiler.start();
    }
    // Subject and control alternate query by query (each walks the names in turn).
    const subject = (i & 1) === 0;
    const count = (subject ? resolver : controlResolver).resolveInto(
      names[(i >>> 1) % names.length] as string,
      RecordType.A,
      out,
    );
    empty += count <= 0 ? 1 : 0;
    const ns = clock.lateNs(i);
    ((subject ? histograms : controlHistograms)[phase] as HdrCounts).record(ns);
    if (subject && ns > (windowMaxNs[win] as number)) windowMaxNs[win] = ns;
    if (ns > 1e6 && lastNs <= 1e6 && stalls < maxStalls) {
      stallWindow[stalls] = win;
      stallQuery[stalls] = i;
      stallNs[stalls] = ns;
      stalls += 1;
    }
    lastNs = ns;
    queries[phase] = (queries[phase] as number) + 1;
    i += 1;
    if ((i & 1023) === 0) Atomics.store(control, kQueriesField, i);
  }
  heapUsed[phase] = v8.getHeapStatistics().used_heap_size;
  const periodMs = clock.periodMs;
  const stallSummary = () => {
    const window = Array.from(stallWindow.subarray(0, stalls));
    return {
      window,
      atMs: window.map((w, k) => ((stallQuery[k] as number) - (windowFirst[w] as number)) * periodMs),
      waitMs: Array.from(stallNs.subarray(0, stalls), (ns) => ns / 1e6),
    };
  };
  const gcs = gcProfiler.stop().statistics;
  const collections = {
    count: gcs.length,
    kinds: gcs.map((g) => g.gcType),
    totalMs: gcs.reduce((t, g) => t + g.cost, 0) / 1000,
  };
  const encode = (list: HdrCounts[]) =>
    list.map((counts) => {
      const h = hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000_000,
        numberOfSignificantValueDigits: 3,
      });
      counts.addTo(h);
      const b64 = hdr.encodeIntoCompressedBase64(h);
      h.destroy();
      return b64;
    });
  const result = {
    histograms: encode(histograms),
    controlHistograms: encode(controlHistograms),
    queries,
    heapUsed,
    answersEmpty: empty,
    windowPhase: Array.from(windowPhase.subarray(0, win + 1)),
    windowMaxNs: Array.from(windowMaxNs.subarray(0, win + 1)),
    stalls: stallSummary(),
    collections,
  };
  return result;
}
