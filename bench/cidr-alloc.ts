/**
 * Bytes allocated per `CidrTable.match` and per `readClientSubnet`,
 * measured as the change in heap used across many calls with no GC in
 * between, by the method in heap-window.ts that resolve-alloc.ts uses too.
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
import { bytesPerCallByDifference, heapWindow, requireExposedGc, warmUp } from './heap-window.js';

export interface CidrAllocationRow {
  readonly what: string;
  readonly calls: number;
  readonly bytesPerCall: number;
}

export function measureCidrAllocation(calls: number): { rows: CidrAllocationRow[]; control: CidrAllocationRow } {
  requireExposedGc('cidr-alloc');
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
  // Warmed up first (see warmUp), then each read as the difference of
  // windows of `calls` and twice as many (see bytesPerCallByDifference).
  let sink = warmUp(
    runs.map((r) => r.run),
    calls,
  );
  const rows: CidrAllocationRow[] = [];
  for (const r of runs) {
    const m = bytesPerCallByDifference(r.run, calls);
    sink ^= m.sink;
    rows.push({ what: r.what, calls, bytesPerCall: m.bytesPerCall });
  }
  const c = cidrCase(100, AddressFamily.IPv4);
  const controlCalls = Math.min(calls, 100_000);
  const ctl = heapWindow((n) => {
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
