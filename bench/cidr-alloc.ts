/**
 * Bytes allocated per `CidrTable.match` and per `readClientSubnet`,
 * measured as the change in heap used across many calls with no GC in
 * between (as resolve-alloc.ts does, whose notes on warming up apply here).
 * Run it in its own process:
 *
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 dist/bench/cidr-alloc.js [calls]
 *
 * Prints one JSON object. `matchText`, which allocates, is the control
 * that shows the method sees allocation.
 */
import { ClientSubnetState, readClientSubnet } from '../src/dns/client-subnet.js';
import { AddressFamily, CIDR_MATCH_LENGTH } from '../src/resolve/cidr-table.js';
import { cidrCase, POOL } from './cidr-fixtures.js';

export interface CidrAllocationRow {
  readonly what: string;
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

export function measureCidrAllocation(calls: number): { rows: CidrAllocationRow[]; control: CidrAllocationRow } {
  if (gc === undefined) throw new Error('cidr-alloc: run node with --expose-gc');
  const runs: { what: string; run: (n: number) => number }[] = [];
  for (const family of [AddressFamily.IPv4, AddressFamily.IPv6]) {
    for (const count of [1, 10_000]) {
      const c = cidrCase(count, family);
      const out = new Int32Array(CIDR_MATCH_LENGTH);
      runs.push({
        what: `match IPv${family === AddressFamily.IPv4 ? 4 : 6}, ${count} collections`,
        run: (n) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const k = i & (POOL - 1);
            s =
              (s + c.table.match(c.family, c.addresses, k * 16, c.sources[k] as number, out) + (out[1] as number)) | 0;
          }
          return s;
        },
      });
    }
  }
  // An OPT RDATA with a cookie and an IPv6 /56 ECS option.
  const rdata = Uint8Array.from([
    0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 8, 0, 11, 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, 0xbb,
  ]);
  const state = new ClientSubnetState();
  runs.push({
    what: 'readClientSubnet',
    run: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s = (s + readClientSubnet(rdata, 0, rdata.length, state) + state.sourcePrefix) | 0;
      return s;
    },
  });
  let sink = 0;
  const warmCalls = Math.max(1, Math.ceil(calls / 2000));
  for (const r of runs) for (let k = 0; k < 2000; k++) sink ^= r.run(warmCalls);
  for (let k = 0; k < 6; k++) sink ^= measure((runs[0] as (typeof runs)[number]).run, 0).sink;
  const rows: CidrAllocationRow[] = [];
  for (const r of runs) {
    // Windows of `calls` and of twice as many, the least of three each: the
    // difference is what the extra calls allocated. On Node 24 a window of
    // these closures costs a fixed ~16 KB whatever its length (Maglev code
    // entering on-stack replacement, as resolve-alloc.ts notes), which the
    // difference cancels and a single window would read as 0.016 B a call.
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
    rows.push({ what: r.what, calls, bytesPerCall: Math.max(0, twice - once) / calls });
  }
  const c = cidrCase(100, AddressFamily.IPv4);
  const controlCalls = Math.min(calls, 100_000);
  const ctl = measure((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += c.table.matchText('192.0.2.1')?.scope ?? 0;
    return s;
  }, controlCalls);
  sink ^= ctl.sink;
  if (sink === 0x7fffffff) console.error(''); // keep every result alive
  return {
    rows,
    control: { what: 'matchText (allocating control)', calls: controlCalls, bytesPerCall: ctl.bytes / controlCalls },
  };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const calls = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${JSON.stringify(measureCidrAllocation(calls))}\n`);
}
