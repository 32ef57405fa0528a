/**
 * Bytes allocated per `resolveInto` call, measured as the change in heap
 * used across a million calls with no GC in between. Run it in its own
 * process with `--expose-gc --min-semi-space-size=256 --max-semi-space-size=256`,
 * so a scavenge can't hide allocation inside the window (256 MiB of new space
 * holds what a million calls could allocate at up to ~250 bytes each):
 *
 *   node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 dist/bench/resolve-alloc.js [calls]
 *
 * Prints one JSON object. The allocating `resolve()` is measured too, as a
 * control that shows the method sees allocation when there is some.
 */
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { benchCell, BENCH_POLICIES } from './fixtures.js';

export interface AllocationRow {
  readonly policy: string;
  readonly unhealthyPercent: number;
  readonly calls: number;
  readonly bytesPerCall: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function measure(run: (calls: number) => number, calls: number): { bytes: number; sink: number } {
  (gc as () => void)();
  (gc as () => void)();
  const before = process.memoryUsage().heapUsed;
  const sink = run(calls);
  const after = process.memoryUsage().heapUsed;
  return { bytes: after - before, sink };
}

export function measureResolveAllocation(calls: number): { rows: AllocationRow[]; control: AllocationRow } {
  if (gc === undefined) throw new Error('resolve-alloc: run node with --expose-gc');
  const rows: AllocationRow[] = [];
  let sink = 0;
  const runs: { policy: string; pct: number; run: (n: number) => number }[] = [];
  for (const policy of BENCH_POLICIES) {
    for (const pct of [0, 50, 100]) {
      const cell = benchCell(policy, 8, pct / 100);
      const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
      runs.push({
        policy,
        pct,
        run: (n) => {
          let s = 0;
          for (let i = 0; i < n; i++)
            s = (s + cell.resolver.resolveInto(cell.name, RecordType.A, out) + (out[0] as number)) | 0;
          return s;
        },
      });
    }
  }
  // Warm every case up first, so the JIT has seen every policy and finished
  // optimising before any window opens: its code and feedback are heap too.
  // In many short calls, not one long one: Node 22+ (V8 12+) tiers a
  // function through Maglev and compiles it whole with TurboFan only after
  // enough entries. A loop entered a few times starts each window in Maglev
  // code and deoptimises into on-stack replacement, about 13 KB a window
  // whatever its length (Node 24: the same 13,296 bytes for 10^5, 10^6 and
  // 4·10^6 calls), which read as 0.013 bytes a call. A server's per-query
  // code is entered once per query, so it runs whole-function code.
  const warmCalls = Math.max(1, Math.ceil(calls / 2000));
  for (const r of runs) for (let k = 0; k < 2000; k++) sink ^= r.run(warmCalls);
  // The window itself too: its first few openings cost ~3 KB more.
  for (let k = 0; k < 6; k++) sink ^= measure((runs[0] as (typeof runs)[number]).run, 0).sink;
  // Three windows per case, the least kept: allocation per call shows in
  // every window, while a one-off (a late JIT tier-up, an inline cache
  // update) shows in one.
  // Then a window of `calls` and one twice as long: the difference is what
  // the extra calls allocated, so a fixed cost per window cancels.
  for (const r of runs) {
    const least = (n: number): number => {
      let min = Number.POSITIVE_INFINITY;
      for (let w = 0; w < 3; w++) {
        const m = measure(r.run, n);
        sink ^= m.sink;
        min = Math.min(min, Math.max(0, m.bytes));
      }
      return min;
    };
    const once = least(calls);
    const twice = least(2 * calls);
    rows.push({ policy: r.policy, unhealthyPercent: r.pct, calls, bytesPerCall: Math.max(0, twice - once) / calls });
  }
  const cell = benchCell('weighted', 8, 0);
  const ctl = measure(
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += cell.resolver.resolve(cell.name, 'A').addresses.length;
      return s;
    },
    Math.min(calls, 200_000),
  );
  sink ^= ctl.sink;
  if (sink === 0x7fffffff) console.error(''); // keep every result alive
  return {
    rows,
    control: {
      policy: 'weighted via resolve() (allocating control)',
      unhealthyPercent: 0,
      calls: Math.min(calls, 200_000),
      bytesPerCall: ctl.bytes / Math.min(calls, 200_000),
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const calls = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(measureResolveAllocation(calls))}\n`);
}
