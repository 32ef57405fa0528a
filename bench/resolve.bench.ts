import { Bench } from 'tinybench';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { seededRandom } from '../src/resolve/random.js';
import { BENCH_POLICIES, benchCell, setUnhealthyFraction } from './fixtures.js';
import { fmt, markdownTable, median, type Scenario, type ScenarioResult } from './harness.js';
import type { AllocationRow } from './resolve-alloc.js';

/**
 * Resolves per second on one thread, per policy, for an 8-answer name at 0%,
 * 50% and 100% unhealthy. A resolve takes tens of nanoseconds, below the
 * timer's resolution, so each sample times a batch of BATCH resolves and
 * every result is folded into a sink the JIT cannot drop. Rounds interleave
 * the health states, and the median round is reported, so drift on a shared
 * machine hits every state alike.
 */
const BATCH = 10_000;
const PERCENTS = [0, 50, 100] as const;

interface Row {
  policy: string;
  unhealthyPercent: number;
  resolvesPerSec: number;
  nsPerResolveP50: number;
  nsPerResolveP99: number;
  rmePercent: number;
  samples: number;
  rounds: number;
}

export const resolveScenario: Scenario = {
  name: 'resolve',
  description: 'resolver core: resolves/s per policy at 0/50/100% unhealthy, and bytes allocated per call',
  estimateSeconds: (quick) => (quick ? 4 : 45),
  async run(ctx): Promise<ScenarioResult> {
    // Many short rounds, each running every task once in a shuffled order:
    // this machine's speed drifts over seconds, and a round of ~0.3 s then
    // sees one speed for every health state; the median round's figure is
    // robust to a noisy neighbour.
    const rounds = ctx.quick ? 1 : 120;
    const time = ctx.quick ? 40 : 20;
    let sink = 0;
    const perTask = new Map<string, { p50: number[]; p99: number[]; rme: number[]; samples: number }>();
    // Every task runs the one batch function below, against whichever cell
    // its beforeAll hook made active. With a function per task, each task's
    // optimized code held its own inlined copy of the resolver, and where
    // each copy landed set its speed: the three weighted states, identical
    // arithmetic, measured up to 7% apart within a run and in any order
    // between runs.
    interface Active {
      readonly resolver: ReturnType<typeof benchCell>['resolver'];
      readonly name: string;
      readonly out: Int32Array;
    }
    let active: Active | null = null;
    const batch = (): void => {
      const { resolver, name, out } = active as Active;
      let s = 0;
      // A local copy: an imported binding is reloaded with a TDZ check on every use.
      const type = RecordType.A;
      for (let i = 0; i < BATCH; i++) s += resolver.resolveInto(name, type, out) + (out[0] as number);
      sink ^= s;
    };
    const cells = new Map<string, () => void>();
    for (const policy of BENCH_POLICIES) {
      // One cell (plan, table, resolver, out buffer) per policy, shared by
      // its health states: each task sets the statuses before its samples.
      // With a cell per state, where each cell's arrays happened to land
      // in memory moved one state's speed by up to 25% (a full run measured
      // weighted healthy 65.8 ns against 82 ns for the others, identical at
      // p99), which no health-blind code can cause.
      const cell = benchCell(policy, 8, 0);
      const slot: Active = { resolver: cell.resolver, name: cell.name, out: new Int32Array(RESOLVE_BUFFER_LENGTH) };
      for (const pct of PERCENTS) {
        cells.set(`${policy}@${pct}`, () => {
          setUnhealthyFraction(cell, pct / 100);
          active = slot;
        });
      }
    }
    const order = seededRandom(0x5eed);
    for (let round = 0; round < rounds; round++) {
      if (round % 30 === 0) ctx.log(`round ${round + 1}/${rounds}`);
      // tinybench runs at least `iterations` samples however long they take
      // (its default, 64 batches, is ~100 ms a task here); 16 keeps a task
      // near `time`. Only the first round warms up.
      const minSamples = 16;
      const bench = new Bench({
        time,
        iterations: minSamples,
        warmupTime: round === 0 ? (ctx.quick ? 80 : 300) : 0,
        warmupIterations: round === 0 ? minSamples : 1,
      });
      // A fresh order every round (seeded, so runs repeat): with the order
      // only rotated, every task always followed the same one, and whatever
      // one task leaves behind (predictors, caches) always landed on the same
      // next task. Weighted healthy, which followed another policy while the
      // other states followed weighted, measured 2-10% slower in three runs.
      for (const [key, activate] of shuffled([...cells], order)) bench.add(key, batch, { beforeAll: activate });
      await bench.run();
      for (const task of bench.tasks) {
        const r = task.result;
        if (r.state !== 'completed') throw new Error(`resolve bench: task ${task.name} ${r.state}`);
        const entry = perTask.get(task.name) ?? { p50: [], p99: [], rme: [], samples: 0 };
        entry.p50.push((r.latency.p50 / BATCH) * 1e6);
        entry.p99.push((r.latency.p99 / BATCH) * 1e6);
        entry.rme.push(r.latency.rme);
        entry.samples += r.latency.samplesCount;
        perTask.set(task.name, entry);
      }
    }
    if (sink === 0.5) ctx.log('unreachable');

    const rows: Row[] = [];
    // In the cells' order (policy, then health), not the first round's shuffle.
    for (const key of cells.keys()) {
      const e = perTask.get(key);
      if (e === undefined) continue;
      const [policy, pct] = key.split('@') as [string, string];
      rows.push({
        policy,
        unhealthyPercent: Number(pct),
        resolvesPerSec: 1e9 / median(e.p50),
        nsPerResolveP50: median(e.p50),
        nsPerResolveP99: median(e.p99),
        rmePercent: median(e.rme),
        samples: e.samples,
        rounds,
      });
    }
    const rate = (policy: string, pct: number) =>
      rows.find((r) => r.policy === policy && r.unhealthyPercent === pct)?.resolvesPerSec ?? NaN;

    ctx.log('allocation (child process, --expose-gc)');
    const alloc = measureAllocationInChild(ctx.quick ? 100_000 : 1_000_000);
    const weightedAlloc = Math.max(...alloc.rows.filter((r) => r.policy === 'weighted').map((r) => r.bytesPerCall));

    const summary = {
      weighted8_resolves_per_sec_healthy: Math.round(rate('weighted', 0)),
      weighted8_resolves_per_sec_half_down: Math.round(rate('weighted', 50)),
      weighted8_resolves_per_sec_all_down: Math.round(rate('weighted', 100)),
      weighted8_ratio_all_down_vs_healthy: round3(rate('weighted', 0) / rate('weighted', 100)),
      weighted8_bytes_per_call: weightedAlloc,
      max_bytes_per_call_any_policy: Math.max(...alloc.rows.map((r) => r.bytesPerCall)),
      goal_10M_per_sec_met: rate('weighted', 0) >= 10e6 && rate('weighted', 100) >= 10e6,
      goal_ratio_within_5pct_met: Math.abs(rate('weighted', 0) / rate('weighted', 100) - 1) <= 0.05,
      tree_resolves_per_sec_healthy: Math.round(rate('tree', 0)),
      tree_resolves_per_sec_all_down: Math.round(rate('tree', 100)),
      tree_ratio_all_down_vs_healthy: round3(rate('tree', 0) / rate('tree', 100)),
      tree_bytes_per_call: Math.max(...alloc.rows.filter((r) => r.policy === 'tree').map((r) => r.bytesPerCall)),
      ip_resolves_per_sec_healthy: Math.round(rate('ip', 0)),
      ip_resolves_per_sec_all_down: Math.round(rate('ip', 100)),
      ip_ratio_all_down_vs_healthy: round3(rate('ip', 0) / rate('ip', 100)),
      ip_bytes_per_call: Math.max(...alloc.rows.filter((r) => r.policy === 'ip').map((r) => r.bytesPerCall)),
    };

    const table = markdownTable(
      [
        'policy',
        '% unhealthy',
        'resolves/s',
        'ns/resolve p50',
        'ns/resolve p99',
        'rme %',
        'samples',
        'time ratio vs 0%',
      ],
      rows.map((r) => [
        r.policy,
        r.unhealthyPercent,
        fmt(r.resolvesPerSec),
        fmt(r.nsPerResolveP50, 1),
        fmt(r.nsPerResolveP99, 1),
        fmt(r.rmePercent, 2),
        r.samples,
        fmt(rate(r.policy, 0) / r.resolvesPerSec, 3),
      ]),
    );
    const allocTable = markdownTable(
      ['policy', '% unhealthy', 'calls', 'bytes/call'],
      [...alloc.rows, alloc.control].map((r) => [r.policy, r.unhealthyPercent, r.calls, fmt(r.bytesPerCall, 4)]),
    );
    const markdown = [
      '### Resolver core (`resolveInto`, one thread, 8-answer name)',
      '',
      '`tree` is an alias tree: failover whose primary and secondary alias (evaluateTargetHealth) two weighted sets of 8 answers, 16 checks; at 50% the primary region is all down, at 100% both are.',
      '',
      `Each sample times a batch of ${BATCH.toLocaleString('en-US')} resolves. ${rounds} rounds each run every task, in a fresh seeded-random order each round (so no task always follows the same one), for ${time} ms (at least 16 samples); per task, the median over rounds of each round's median sample is reported (resolves/s = 10⁹ ÷ that ns/resolve). "time ratio vs 0%" is time per resolve at this health state ÷ time when all are healthy (goal 0.95–1.05).`,
      '',
      table,
      '',
      'Bytes allocated per call (heap used across the calls, no GC in between, separate process). The allocating `resolve()` is the control that shows the method sees allocation:',
      '',
      allocTable,
    ].join('\n');
    return { summary, markdown, details: { batch: BATCH, rows, allocation: alloc } };
  },
};

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function measureAllocationInChild(calls: number): { rows: AllocationRow[]; control: AllocationRow } {
  const script = fileURLToPath(new URL('./resolve-alloc.js', import.meta.url));
  // New space must hold what the calls could allocate at up to ~250 bytes
  // each, so no scavenge runs inside a window; no larger, because the kernel
  // zeroes every page of it (seconds of system time at 256 MiB).
  const semiMiB = Math.max(16, Math.ceil((calls * 256) / 2 ** 20));
  const semi = [`--min-semi-space-size=${semiMiB}`, `--max-semi-space-size=${semiMiB}`];
  const stdout = execFileSync(process.execPath, ['--expose-gc', ...semi, script, String(calls)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(stdout) as { rows: AllocationRow[]; control: AllocationRow };
}

/** A Fisher-Yates shuffle of `list` in place, returned. */
function shuffled<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}
