/**
 * Bytes allocated per call of a hot-path function, read from heap used
 * across a window of calls with no GC in between: what resolve-alloc.ts,
 * cidr-alloc.ts and aggregate-alloc.ts share. Run under `node --expose-gc` with a new space large
 * enough that no scavenge runs inside a window.
 *
 * A `run(calls)` makes `calls` calls and returns an int32 folded from their
 * results (`(s + r) | 0`, never a growing sum): the result keeps the calls
 * alive, and a double that outgrows int32 would be boxed a call under
 * Node 24's Maglev, which the window would read as the function's own.
 */
import v8 from 'node:v8';

export type CallRun = (calls: number) => number;

const gc = (globalThis as { gc?: () => void }).gc;

/** Throws unless node was started with --expose-gc; `who` names the script. */
export function requireExposedGc(who: string): void {
  if (gc === undefined) throw new Error(`${who}: run node with --expose-gc`);
}

/**
 * Heap growth over one window of `run(calls)`, opened by two full GCs, and
 * the run's result. A GC inside the window (seen by v8.GCProfiler) would
 * have freed what the run allocated and hidden it: such a window reads as
 * Infinity bytes, never as a small figure. After two full GCs a scavenge
 * comes only once the window itself has filled the new space.
 */
export function heapWindow(run: CallRun, calls: number): { bytes: number; sink: number } {
  (gc as () => void)();
  (gc as () => void)();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  const sink = run(calls);
  const after = process.memoryUsage().heapUsed;
  const gcs = profiler.stop()?.statistics.length ?? 0;
  return { bytes: gcs > 0 ? Number.POSITIVE_INFINITY : after - before, sink };
}

/**
 * Warms every run up before any window opens, so the JIT has seen each and
 * finished optimising: its code and feedback are heap too. In many short
 * calls, not one long one: Node 22+ (V8 12+) tiers a function through
 * Maglev and compiles it whole with TurboFan only after enough entries. A
 * loop entered a few times starts each window in Maglev code and
 * deoptimises into on-stack replacement, about 13 KB a window whatever its
 * length (Node 24: the same 13,296 bytes for 10^5, 10^6 and 4·10^6 calls),
 * which would read as 0.013 bytes a call. A server's per-query code is
 * entered once per query, so it runs whole-function code. Then the window
 * itself is opened a few times: its first openings cost ~3 KB more.
 * Returns the runs' results folded (xor), for the caller's sink.
 */
export function warmUp(runs: readonly CallRun[], calls: number): number {
  let sink = 0;
  const warmCalls = Math.max(1, Math.ceil(calls / 2000));
  for (const run of runs) for (let k = 0; k < 2000; k++) sink ^= run(warmCalls);
  const first = runs[0];
  if (first !== undefined) for (let k = 0; k < 6; k++) sink ^= heapWindow(first, 0).sink;
  return sink;
}

/**
 * Bytes per call of `run`: three windows of `calls` and three of twice as
 * many, the least of each kept (allocation per call shows in every window,
 * a one-off such as a late tier-up or an inline cache update in one), and
 * the difference divided by `calls`. The difference is what the extra calls
 * allocated, so a fixed cost per window (Node 24: ~16 KB of Maglev code
 * entering on-stack replacement, whatever the window's length) cancels
 * rather than reading as a fraction of a byte a call.
 */
export function bytesPerCallByDifference(run: CallRun, calls: number): { bytesPerCall: number; sink: number } {
  let sink = 0;
  const least = (n: number): number => {
    let min = Number.POSITIVE_INFINITY;
    for (let w = 0; w < 3; w++) {
      const m = heapWindow(run, n);
      sink ^= m.sink;
      min = Math.min(min, Math.max(0, m.bytes));
    }
    return min;
  };
  const once = least(calls);
  const twice = least(2 * calls);
  // A window a GC cut short (Infinity) says the calls allocate at least a new space's worth.
  const bytesPerCall = Number.isFinite(twice) && Number.isFinite(once) ? Math.max(0, twice - once) / calls : Infinity;
  return { bytesPerCall, sink };
}
