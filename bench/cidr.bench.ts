import { Bench } from 'tinybench';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AddressFamily, CIDR_MATCH_LENGTH } from '../src/resolve/cidr-table.js';
import { seededRandom } from '../src/resolve/random.js';
import type { CidrAllocationRow } from './cidr-alloc.js';
import { type CidrCase, cidrCase, POOL } from './cidr-fixtures.js';
import { fmt, markdownTable, median, type Scenario, type ScenarioResult } from './harness.js';

/**
 * `CidrTable.match` (policy: ip's longest-prefix match) at 1, 100 and
 * 10,000 collections, IPv4 and IPv6: the walk is 3 (IPv4) or 6 (IPv6)
 * steps whatever the table holds, so time per lookup should not grow with
 * the collections. Each sample times a batch of BATCH lookups over POOL
 * client addresses (half inside a block, half anywhere; half full-width,
 * half ECS /24 or /56); every result goes into a sink. Rounds run every
 * task once in a fresh seeded order; the median round is reported, as in
 * resolve.bench.ts.
 */
const BATCH = 2 * POOL;
const COUNTS = [1, 100, 10_000] as const;
const FAMILIES = [AddressFamily.IPv4, AddressFamily.IPv6] as const;

interface Row {
  family: string;
  collections: number;
  nsPerLookupP50: number;
  nsPerLookupP99: number;
  rmePercent: number;
  samples: number;
  nodes: number;
  tableMiB: number;
  compileMs: number;
  reuseMs: number;
}

const familyName = (f: AddressFamily) => (f === AddressFamily.IPv4 ? 'IPv4' : 'IPv6');

export const cidrScenario: Scenario = {
  name: 'cidr',
  description: 'policy: ip longest-prefix match: ns per lookup at 1, 100 and 10,000 CIDR collections, IPv4 and IPv6',
  estimateSeconds: (quick) => (quick ? 5 : 40),
  async run(ctx): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 40;
    const time = 20;
    let sink = 0;
    let active: CidrCase | null = null;
    const out = new Int32Array(CIDR_MATCH_LENGTH);
    // One batch function for every task (see resolve.bench.ts: a function
    // per task gave each its own inlined copy, placed differently).
    const batch = (): void => {
      const c = active as CidrCase;
      const { table, family, addresses, sources } = c;
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        const k = i & (POOL - 1);
        s += table.match(family, addresses, k * 16, sources[k] as number, out) + (out[1] as number);
      }
      sink ^= s;
    };
    const cases = new Map<string, CidrCase>();
    for (const family of FAMILIES) {
      for (const count of COUNTS) {
        ctx.log(`compiling ${count} collections (${familyName(family)} clients)`);
        cases.set(`${familyName(family)}@${count}`, cidrCase(count, family));
      }
    }
    const perTask = new Map<string, { p50: number[]; p99: number[]; rme: number[]; samples: number }>();
    const order = seededRandom(0xc1d7);
    for (let round = 0; round < rounds; round++) {
      if (round % 10 === 0) ctx.log(`round ${round + 1}/${rounds}`);
      const bench = new Bench({
        time,
        iterations: 16,
        warmupTime: round === 0 ? 200 : 0,
        warmupIterations: round === 0 ? 16 : 1,
      });
      const keys = [...cases.keys()];
      for (let i = keys.length - 1; i > 0; i--) {
        const j = Math.floor(order() * (i + 1));
        [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
      }
      for (const key of keys) {
        bench.add(key, batch, {
          beforeAll: () => {
            active = cases.get(key) as CidrCase;
          },
        });
      }
      await bench.run();
      for (const task of bench.tasks) {
        const r = task.result;
        if (r.state !== 'completed') throw new Error(`cidr bench: task ${task.name} ${r.state}`);
        const e = perTask.get(task.name) ?? { p50: [], p99: [], rme: [], samples: 0 };
        e.p50.push((r.latency.p50 / BATCH) * 1e6);
        e.p99.push((r.latency.p99 / BATCH) * 1e6);
        e.rme.push(r.latency.rme);
        e.samples += r.latency.samplesCount;
        perTask.set(task.name, e);
      }
    }
    if (sink === 0.5) ctx.log('unreachable');

    const rows: Row[] = [];
    for (const [key, c] of cases) {
      const e = perTask.get(key);
      if (e === undefined) continue;
      rows.push({
        family: key.split('@')[0] as string,
        collections: c.collections,
        nsPerLookupP50: median(e.p50),
        nsPerLookupP99: median(e.p99),
        rmePercent: median(e.rme),
        samples: e.samples,
        nodes: c.table.nodes,
        tableMiB: c.table.bytes / 2 ** 20,
        compileMs: c.compileMs,
        reuseMs: c.reuseMs,
      });
    }
    const ns = (family: string, count: number) =>
      rows.find((r) => r.family === family && r.collections === count)?.nsPerLookupP50 ?? Number.NaN;
    const ratio = (family: string) => ns(family, 10_000) / ns(family, 1);

    ctx.log('allocation (child process, --expose-gc)');
    const alloc = measureAllocationInChild(ctx.quick ? 100_000 : 1_000_000);

    const summary = {
      ipv4_ns_per_lookup_1: round1(ns('IPv4', 1)),
      ipv4_ns_per_lookup_100: round1(ns('IPv4', 100)),
      ipv4_ns_per_lookup_10000: round1(ns('IPv4', 10_000)),
      ipv4_ratio_10000_vs_1: round3(ratio('IPv4')),
      ipv6_ns_per_lookup_1: round1(ns('IPv6', 1)),
      ipv6_ns_per_lookup_100: round1(ns('IPv6', 100)),
      ipv6_ns_per_lookup_10000: round1(ns('IPv6', 10_000)),
      ipv6_ratio_10000_vs_1: round3(ratio('IPv6')),
      table_mib_10000: round1(rows.find((r) => r.collections === 10_000)?.tableMiB ?? Number.NaN),
      compile_ms_10000: round1(rows.find((r) => r.collections === 10_000)?.compileMs ?? Number.NaN),
      reuse_ms_10000: round1(rows.find((r) => r.collections === 10_000)?.reuseMs ?? Number.NaN),
      max_bytes_per_call: Math.max(...alloc.rows.map((r) => r.bytesPerCall)),
    };
    const table = markdownTable(
      [
        'clients',
        'collections',
        'ns/lookup p50',
        'ns/lookup p99',
        'rme %',
        'samples',
        'time ratio vs 1',
        'nodes',
        'table MiB',
        'compile ms',
        'reuse ms',
      ],
      rows.map((r) => [
        r.family,
        r.collections.toLocaleString('en-US'),
        fmt(r.nsPerLookupP50, 1),
        fmt(r.nsPerLookupP99, 1),
        fmt(r.rmePercent, 2),
        r.samples,
        fmt(r.nsPerLookupP50 / ns(r.family, 1), 3),
        r.nodes,
        fmt(r.tableMiB, 1),
        fmt(r.compileMs, 1),
        fmt(r.reuseMs, 2),
      ]),
    );
    const allocTable = markdownTable(
      ['call', 'calls', 'bytes/call'],
      [...alloc.rows, alloc.control].map((r) => [r.what, r.calls, fmt(r.bytesPerCall, 4)]),
    );
    const markdown = [
      '### CIDR table (`CidrTable.match`, policy: ip, one thread)',
      '',
      `Each collection holds one IPv4 block (/12–/24) and one IPv6 block (/24–/48), random. Each sample times ${BATCH.toLocaleString('en-US')} lookups over ${POOL.toLocaleString('en-US')} client addresses (half inside a block, half anywhere; half full width, half an ECS /24 or /56). ${rounds} rounds, each running every task in a fresh seeded order for ${time} ms (at least 16 samples); the median round's median is reported. "time ratio vs 1" is time per lookup ÷ time with one collection. "compile ms" is \`compileCidrTable\` (wall time, so the machine's load is in it); "reuse ms" is \`reuseOrCompileCidrTable\` handed a fresh copy of the same collections and the compiled table, which it keeps: what a config pass that changed nothing pays.`,
      '',
      table,
      '',
      'Bytes allocated per call (heap used across the calls, no GC in between, separate process):',
      '',
      allocTable,
    ].join('\n');
    return { summary, markdown, details: { batch: BATCH, pool: POOL, rounds, rows, allocation: alloc } };
  },
};

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function measureAllocationInChild(calls: number): { rows: CidrAllocationRow[]; control: CidrAllocationRow } {
  const script = fileURLToPath(new URL('./cidr-alloc.js', import.meta.url));
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', script, String(calls)],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return JSON.parse(stdout) as { rows: CidrAllocationRow[]; control: CidrAllocationRow };
}
