/**
 * Bytes allocated per `resolveInto` call, measured as the change in heap
 * used across windows of calls with no GC in between (heap-window.ts: a
 * window a GC cut short reads as Infinity, so too small a new space fails
 * loudly rather than hiding allocation). Run it in its own process with
 * `--expose-gc` and a fixed new space that holds a window of the allocating
 * control (100,000 calls at ~220 bytes): 64 MiB.
 *
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 dist/bench/resolve-alloc.js [calls]
 *
 * Prints one JSON object. The allocating `resolve()` is measured too, as a
 * control that shows the method sees allocation when there is some.
 */
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { benchCell, BENCH_POLICIES } from './fixtures.js';
import { bytesPerCallByDifference, heapWindow, requireExposedGc, warmUp } from './heap-window.js';

export interface AllocationRow {
  readonly policy: string;
  readonly unhealthyPercent: number;
  readonly calls: number;
  readonly bytesPerCall: number;
}

export function measureResolveAllocation(calls: number): { rows: AllocationRow[]; control: AllocationRow } {
  requireExposedGc('resolve-alloc');
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
  // Warmed up first (see warmUp), then each case read as the difference
  // of windows of `calls` and twice as many (see bytesPerCallByDifference).
  sink ^= warmUp(
    runs.map((r) => r.run),
    calls,
  );
  for (const r of runs) {
    const m = bytesPerCallByDifference(r.run, calls);
    sink ^= m.sink;
    rows.push({ policy: r.policy, unhealthyPercent: r.pct, calls, bytesPerCall: m.bytesPerCall });
  }
  const cell = benchCell('weighted', 8, 0);
  const ctl = heapWindow(
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += cell.resolver.resolve(cell.name, 'A').addresses.length;
      return s;
    },
    Math.min(calls, 100_000),
  );
  sink ^= ctl.sink;
  if (sink === 0x7fffffff) console.error(''); // keep every result alive
  return {
    rows,
    control: {
      policy: 'weighted via resolve() (allocating control)',
      unhealthyPercent: 0,
      calls: Math.min(calls, 100_000),
      bytesPerCall: ctl.bytes / Math.min(calls, 100_000),
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const calls = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(measureResolveAllocation(calls))}\n`);
}
