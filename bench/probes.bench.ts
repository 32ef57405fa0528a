import * as hdr from 'hdr-histogram-js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { CheckerPool } from '../src/check/checker-pool.js';
import { scheduleClock } from '../src/check/checker-task.js';
import { addCounts, countsPercentile, countsTotal, sharedHistogramBucketValue, subtractCounts, SHARED_HISTOGRAM_BUCKETS } from '../src/metrics/shared-histogram.js';
import { Targets } from './dns-children.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * The checker plane under its worst case: N http checks on one interval
 * whose targets all answer, then all hang (accept, never answer: every
 * probe runs to its timeout), switching back and forth under one running
 * pool as a mass failure and recovery would. How late probes start against
 * their fixed phase (start − scheduled time, read from the pool's shared
 * lateness histogram over each window), and CPU per probe. Then the largest
 * N per interval this machine sustains with every probe timing out and the
 * lateness p99 under 10% of the interval.
 */
const HOSTS = 8;
const PREFIX = '127.0.3';
const CAPACITY = 65_536;

/** What one kind of window (or several merged) measured. */
interface Measured {
  readonly checks: number;
  readonly intervalMs: number;
  readonly target: 'answering' | 'timing out';
  readonly windows: number;
  readonly probes: number;
  readonly latenessMs: { p50: number; p99: number; p999: number; max: number };
  readonly cpuUs: number;
  readonly wallMs: number;
  readonly failed: number;
  /** Lateness counts (SharedHistogram buckets, µs). */
  readonly counts: Float64Array;
}

function specs(n: number, intervalMs: number, timeoutMs: number, port: number): ProbeCheckSpec[] {
  return Array.from({ length: n }, (_, slot) => ({
    kind: 'probe',
    id: `b${slot}`,
    slot,
    type: 'http',
    host: `${PREFIX}.${(slot % HOSTS) + 1}`,
    port,
    path: '/',
    statusMin: 200,
    statusMax: 399,
    bodyMatch: null,
    verifyTls: false,
    intervalMs,
    timeoutMs,
    failureThreshold: 3,
    inverted: false,
    disabled: false,
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running pool of `n` checks on `targets`, its schedule starting `leadMs` from now (thread start-up is not lateness). */
function startPool(n: number, intervalMs: number, targets: Targets, leadMs: number): CheckerPool {
  const pool = new CheckerPool(ObservationTable.create(CAPACITY, 1), { workers: 2, log: () => {} });
  pool.start(specs(n, intervalMs, Math.round(intervalMs / 2), targets.port), scheduleClock() + leadMs);
  return pool;
}

/** Lateness, CPU and probes of `pool` over the next `ms`. */
async function window(pool: CheckerPool, ms: number): Promise<{ counts: Float64Array; cpuUs: number; wallMs: number; probes: number; failed: number }> {
  const c0 = pool.lateness();
  const s0 = pool.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const s1 = pool.stats();
  return { counts: subtractCounts(pool.lateness(), c0), cpuUs: cpu.user + cpu.system, wallMs, probes: s1.probesStarted - s0.probesStarted, failed: s1.probesFailed - s0.probesFailed };
}

/** Windows of one kind merged: counts added, CPU and probes summed. */
function merge(checks: number, intervalMs: number, target: Measured['target'], parts: readonly Awaited<ReturnType<typeof window>>[]): Measured {
  const counts = new Float64Array(SHARED_HISTOGRAM_BUCKETS);
  for (const p of parts) addCounts(counts, p.counts);
  const ms = (q: number) => countsPercentile(counts, q) / 1000;
  return {
    checks,
    intervalMs,
    target,
    windows: parts.length,
    probes: parts.reduce((t, p) => t + p.probes, 0),
    latenessMs: { p50: ms(50), p99: ms(99), p999: ms(99.9), max: ms(100) },
    cpuUs: parts.reduce((t, p) => t + p.cpuUs, 0),
    wallMs: parts.reduce((t, p) => t + p.wallMs, 0),
    failed: parts.reduce((t, p) => t + p.failed, 0),
    counts,
  };
}

/** The counts as an HdrHistogram percentile distribution (.hgrm, ms), each value at its bucket's highest. */
function toHgrm(counts: Float64Array): string {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) {
    const c = counts[b] as number;
    if (c > 0) h.recordValueWithCount(Math.max(1, sharedHistogramBucketValue(b)), c);
  }
  const text = h.outputPercentileDistribution(1, 1000);
  h.destroy();
  return text;
}

export const probesScenario: Scenario = {
  name: 'probes',
  description: 'checker workers: probe start lateness, answering vs timing-out targets; CPU per probe; largest N per interval',
  estimateSeconds: (quick) => (quick ? 8 : 150),
  async run(ctx): Promise<ScenarioResult> {
    const targets = await Targets.start(HOSTS, PREFIX);
    try {
      const intervalMs = ctx.quick ? 500 : 2000;
      const timeoutMs = Math.round(intervalMs / 2);
      const n = ctx.quick ? 250 : 2000;
      // Long enough for the pool's threads to start and load the probe modules.
      const leadMs = ctx.quick ? 500 : 1000;
      // Answering and hanging windows alternate under one pool, in the order
      // A H H A A H H A …, so a steady drift of the machine over the run
      // lands on both kinds alike; each kind's windows are merged. Every
      // window first lets the previous state's probes end (one timeout),
      // then measures one whole interval, in which every check starts
      // exactly once. Many short windows, so a noisy neighbour's bursts
      // also tend to land on both.
      const windowsPerKind = ctx.quick ? 1 : 10;
      const settleMs = timeoutMs + 100;
      const pool = startPool(n, intervalMs, targets, leadMs);
      const parts: Record<'answer' | 'hang', Awaited<ReturnType<typeof window>>[]> = { answer: [], hang: [] };
      try {
        await targets.set(() => 'answer');
        await sleep(leadMs + intervalMs);
        for (let w = 0; w < 2 * windowsPerKind; w++) {
          const mode: 'answer' | 'hang' = ((w + 1) >> 1) % 2 === 0 ? 'answer' : 'hang';
          if (w % 4 === 0) ctx.log(`windows ${w + 1}–${Math.min(w + 4, 2 * windowsPerKind)}/${2 * windowsPerKind}: ${n} checks / ${intervalMs} ms, every target answering or every one hanging (A H H A)`);
          await targets.set(() => mode);
          await sleep(settleMs);
          parts[mode].push(await window(pool, intervalMs));
        }
      } finally {
        await targets.set(() => 'answer');
        await pool.stop();
      }
      const healthy = merge(n, intervalMs, 'answering', parts.answer);
      const down = merge(n, intervalMs, 'timing out', parts.hang);

      const ramp: Measured[] = [];
      const sizes = ctx.quick ? [500] : [2000, 4000, 8000, 16000];
      await targets.set(() => 'hang');
      for (const size of sizes) {
        ctx.log(`capacity ramp: ${size} checks / ${intervalMs} ms, all timing out`);
        const rampPool = startPool(size, intervalMs, targets, leadMs);
        let p: Measured;
        try {
          await sleep(leadMs + intervalMs);
          p = merge(size, intervalMs, 'timing out', [await window(rampPool, (ctx.quick ? 1 : 3) * intervalMs)]);
        } finally {
          await rampPool.stop();
        }
        ramp.push(p);
        if (p.latenessMs.p99 >= intervalMs / 10) break;
      }
      const sustained = ramp.filter((p) => p.latenessMs.p99 < intervalMs / 10).map((p) => p.checks);
      const maxChecks = sustained.length > 0 ? Math.max(...sustained) : 0;
      const ratio = down.latenessMs.p99 / healthy.latenessMs.p99;
      const perProbe = (m: Measured) => m.cpuUs / Math.max(1, m.probes);

      ctx.writeFile('probes-lateness-answering.hgrm', toHgrm(healthy.counts));
      ctx.writeFile('probes-lateness-timing-out.hgrm', toHgrm(down.counts));
      const summary = {
        checks: n,
        interval_ms: intervalMs,
        windows_per_kind: windowsPerKind,
        lateness_p99_ms_healthy: round(healthy.latenessMs.p99),
        lateness_p99_ms_timing_out: round(down.latenessMs.p99),
        lateness_p99_ratio_timeout_vs_healthy: round(ratio),
        cpu_us_per_probe_healthy: round(perProbe(healthy)),
        cpu_us_per_probe_timing_out: round(perProbe(down)),
        max_checks_per_interval: maxChecks,
        max_checks_interval_ms: intervalMs,
        goal_lateness_ratio_met: ratio <= 1.1,
      };
      const rows = [healthy, down, ...ramp].map((p, i) => [
        i < 2 ? `${p.checks} (${p.windows} windows merged)` : p.checks,
        p.intervalMs,
        p.target,
        p.probes,
        fmt(p.probes / (p.wallMs / 1000), 1),
        fmt(p.latenessMs.p50, 3),
        fmt(p.latenessMs.p99, 3),
        fmt(p.latenessMs.p999, 3),
        fmt(p.latenessMs.max, 3),
        fmt(perProbe(p), 1),
      ]);
      const markdown = [
        '### Checker workers: probe start lateness and cost',
        '',
        `2 checker threads; every check has a fixed phase; timeout = interval / 2. Targets run in a separate process (${HOSTS} loopback HTTP hosts, bench/targets-process.ts) and switch all at once between answering 200 and hanging (accepting, never answering, so every probe runs to its timeout). One pool runs throughout while ${windowsPerKind} answering and ${windowsPerKind} hanging windows alternate in the order A H H A A H H A … (a steady drift of the machine then lands on both alike); each window lets the previous state's probes end (${settleMs} ms), then measures one whole interval, in which every check starts once. Lateness = actual probe start − scheduled time, from the pool's shared lateness histogram (buckets ≤ 1.6% wide, read at each window's edges). CPU is this process's user + system time (main thread and checker threads) per probe started in the windows. The schedule starts ${leadMs / 1000} s after the pool, so thread start-up is not lateness. The capacity ramp runs a pool per size, every target hanging, measured over ${ctx.quick ? 1 : 3} interval(s) after the first. Histograms: \`probes-lateness-*.hgrm\`.`,
        '',
        markdownTable(['checks', 'interval ms', 'targets', 'probes', 'probes/s', 'lateness p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'CPU µs/probe'], rows),
        '',
        `Lateness p99, all timing out ÷ all answering: **${fmt(ratio, 3)}** (goal ≤ 1.1). Largest cell sustained with every probe timing out and lateness p99 < 10% of the ${intervalMs} ms interval: **${maxChecks.toLocaleString('en-US')} checks per interval**${ramp.length > 0 && maxChecks === ramp[ramp.length - 1]?.checks ? ' (the largest size tried)' : ''}.`,
      ].join('\n');
      const strip = ({ counts, ...rest }: Measured) => ({ ...rest, lateness_count: countsTotal(counts) });
      const windowP99 = (list: readonly Awaited<ReturnType<typeof window>>[]) => list.map((p) => round(countsPercentile(p.counts, 99) / 1000));
      return { summary, markdown, details: { healthy: strip(healthy), down: strip(down), windowP99Ms: { answering: windowP99(parts.answer), timingOut: windowP99(parts.hang) }, ramp: ramp.map(strip) } };
    } finally {
      await targets.proc.stop();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
