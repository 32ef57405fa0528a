import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { CheckerPool } from '../src/check/checker-pool.js';
import { scheduleClock } from '../src/check/checker-task.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * The checker plane under its worst case. N http checks on one interval,
 * first against targets that answer, then against targets that accept and
 * never answer (every probe runs to its timeout): how late probes start
 * against their fixed phase (p99 of start − scheduled time), and CPU per
 * probe. Then the largest N per interval this machine sustains with every
 * probe timing out and the lateness p99 under 10% of the interval.
 */
const HOSTS = 8;
const CAPACITY = 65_536;

interface Phase {
  readonly checks: number;
  readonly intervalMs: number;
  readonly target: 'answering' | 'timing out';
  readonly probes: number;
  readonly latenessMs: { p50: number; p99: number; p999: number; max: number };
  readonly cpuUsPerProbe: number;
  readonly probesPerSec: number;
  readonly failed: number;
  readonly hgrm: string;
  /** The lateness histogram, compressed (to merge rounds). */
  readonly histogram: string;
}

function specs(n: number, intervalMs: number, timeoutMs: number, prefix: string, port: number): ProbeCheckSpec[] {
  return Array.from({ length: n }, (_, slot) => ({
    kind: 'probe',
    id: `b${slot}`,
    slot,
    type: 'http',
    host: `${prefix}.${(slot % HOSTS) + 1}`,
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

async function runPhase(n: number, intervalMs: number, target: Phase['target'], ports: { ok: number; hang: number }, intervals: number, leadMs: number): Promise<Phase> {
  const timeoutMs = Math.round(intervalMs / 2);
  const checks = target === 'answering' ? specs(n, intervalMs, timeoutMs, '127.0.3', ports.ok) : specs(n, intervalMs, timeoutMs, '127.0.4', ports.hang);
  const obs = ObservationTable.create(CAPACITY, 1);
  const pool = new CheckerPool(obs, { workers: 2, log: () => {} });
  // The schedule starts `leadMs` from now, so thread start-up and module
  // loading are not counted as lateness; CPU and probes are counted over
  // whole intervals after the first one.
  pool.start(checks, scheduleClock() + leadMs);
  await new Promise((r) => setTimeout(r, leadMs + intervalMs));
  const cpu0 = process.cpuUsage();
  const s0 = pool.stats();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, intervals * intervalMs));
  const cpu = process.cpuUsage(cpu0);
  const s1 = pool.stats();
  const wallS = (performance.now() - t0) / 1000;
  const results = await pool.stop();
  const stats = { probesStarted: s1.probesStarted - s0.probesStarted, probesDone: s1.probesDone - s0.probesDone, probesFailed: s1.probesFailed - s0.probesFailed };
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const r of results) {
    const h = hdr.decodeFromCompressedBase64(r.latenessHistogram);
    merged.add(h);
    h.destroy();
  }
  const ms = (q: number) => merged.getValueAtPercentile(q) / 1000;
  const phase: Phase = {
    checks: n,
    intervalMs,
    target,
    probes: stats.probesStarted,
    latenessMs: { p50: ms(50), p99: ms(99), p999: ms(99.9), max: merged.maxValue / 1000 },
    cpuUsPerProbe: (cpu.user + cpu.system) / Math.max(1, stats.probesStarted),
    probesPerSec: stats.probesDone / wallS,
    failed: stats.probesFailed,
    hgrm: merged.outputPercentileDistribution(1, 1000),
    histogram: hdr.encodeIntoCompressedBase64(merged),
  };
  merged.destroy();
  return phase;
}

async function startTargets(): Promise<{ child: ChildProcess; ports: { ok: number; hang: number } }> {
  const script = fileURLToPath(new URL('./targets-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, String(HOSTS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { child, ports: JSON.parse(line.toString('utf8')) as { ok: number; hang: number } };
}

export const probesScenario: Scenario = {
  name: 'probes',
  description: 'checker workers: probe start lateness, answering vs timing-out targets; CPU per probe; largest N per interval',
  estimateSeconds: (quick) => (quick ? 5 : 150),
  async run(ctx): Promise<ScenarioResult> {
    const { child, ports } = await startTargets();
    try {
      const intervalMs = ctx.quick ? 500 : 2000;
      const n = ctx.quick ? 250 : 2000;
      const intervals = ctx.quick ? 1 : 5;
      // Long enough for the pool's threads to start and load the probe modules.
      const leadMs = ctx.quick ? 500 : 1000;
      // Answering and timing-out phases alternate, and each kind's rounds are
      // merged into one histogram: a noisy neighbour then hits both alike.
      const rounds = ctx.quick ? 1 : 3;
      const answering: Phase[] = [];
      const timingOut: Phase[] = [];
      for (let round = 0; round < rounds; round++) {
        ctx.log(`round ${round + 1}/${rounds}: ${n} checks / ${intervalMs} ms against answering targets, then against targets that never answer`);
        answering.push(await runPhase(n, intervalMs, 'answering', ports, intervals, leadMs));
        timingOut.push(await runPhase(n, intervalMs, 'timing out', ports, intervals, leadMs));
      }
      const healthy = mergePhases(answering);
      const down = mergePhases(timingOut);

      const ramp: Phase[] = [];
      const sizes = ctx.quick ? [500] : [2000, 4000, 8000, 16000];
      for (const size of sizes) {
        ctx.log(`capacity ramp: ${size} checks / ${intervalMs} ms, all timing out`);
        const p = await runPhase(size, intervalMs, 'timing out', ports, ctx.quick ? 1 : 3, leadMs);
        ramp.push(p);
        if (p.latenessMs.p99 >= intervalMs / 10) break;
      }
      const sustained = ramp.filter((p) => p.latenessMs.p99 < intervalMs / 10).map((p) => p.checks);
      const maxChecks = sustained.length > 0 ? Math.max(...sustained) : 0;
      const ratio = down.latenessMs.p99 / healthy.latenessMs.p99;

      ctx.writeFile('probes-lateness-answering.hgrm', healthy.hgrm);
      ctx.writeFile('probes-lateness-timing-out.hgrm', down.hgrm);
      const summary = {
        checks: n,
        interval_ms: intervalMs,
        lateness_p99_ms_healthy: round(healthy.latenessMs.p99),
        lateness_p99_ms_timing_out: round(down.latenessMs.p99),
        lateness_p99_ratio_timeout_vs_healthy: round(ratio),
        cpu_us_per_probe_healthy: round(healthy.cpuUsPerProbe),
        cpu_us_per_probe_timing_out: round(down.cpuUsPerProbe),
        max_checks_per_interval: maxChecks,
        max_checks_interval_ms: intervalMs,
        goal_lateness_ratio_met: ratio <= 1.1,
      };
      const rows = [healthy, down, ...ramp].map((p, i) => [
        i < 2 ? `${p.checks} (${rounds} rounds merged)` : p.checks,
        p.intervalMs,
        p.target,
        p.probes,
        fmt(p.probesPerSec, 1),
        fmt(p.latenessMs.p50, 3),
        fmt(p.latenessMs.p99, 3),
        fmt(p.latenessMs.p999, 3),
        fmt(p.latenessMs.max, 3),
        fmt(p.cpuUsPerProbe, 1),
      ]);
      const markdown = [
        '### Checker workers: probe start lateness and cost',
        '',
        `2 checker threads; every check has a fixed phase; timeout = interval / 2. Targets run in a separate process (${HOSTS} loopback hosts that answer HTTP 200, ${HOSTS} that accept and never answer). Lateness = actual probe start − scheduled time. CPU is this process's user + system time (main thread and checker threads) per probe started, over whole intervals after the first. The schedule starts ${leadMs / 1000} s after the pool, so thread start-up is not lateness. Histograms: \`probes-lateness-*.hgrm\`.`,
        '',
        markdownTable(['checks', 'interval ms', 'targets', 'probes', 'probes/s', 'lateness p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'CPU µs/probe'], rows),
        '',
        `Lateness p99, all timing out ÷ all answering: **${fmt(ratio, 3)}** (goal ≤ 1.1). Largest cell sustained with every probe timing out and lateness p99 < 10% of the ${intervalMs} ms interval: **${maxChecks.toLocaleString('en-US')} checks per interval**${ramp.length > 0 && maxChecks === ramp[ramp.length - 1]?.checks ? ' (the largest size tried)' : ''}.`,
      ].join('\n');
      return { summary, markdown, details: { rounds, healthy: strip(healthy), down: strip(down), answeringRounds: answering.map(strip), timingOutRounds: timingOut.map(strip), ramp: ramp.map(strip) } };
    } finally {
      child.stdin?.end();
      child.kill();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function strip(p: Phase): Omit<Phase, 'hgrm' | 'histogram'> {
  const { hgrm: _hgrm, histogram: _histogram, ...rest } = p;
  return rest;
}

/** One phase from several rounds of the same kind: histograms merged, counts summed, CPU per probe weighted. */
function mergePhases(phases: readonly Phase[]): Phase {
  const first = phases[0] as Phase;
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const p of phases) {
    const h = hdr.decodeFromCompressedBase64(p.histogram);
    merged.add(h);
    h.destroy();
  }
  const probes = phases.reduce((t, p) => t + p.probes, 0);
  const ms = (q: number) => merged.getValueAtPercentile(q) / 1000;
  const out: Phase = {
    ...first,
    probes,
    latenessMs: { p50: ms(50), p99: ms(99), p999: ms(99.9), max: merged.maxValue / 1000 },
    cpuUsPerProbe: phases.reduce((t, p) => t + p.cpuUsPerProbe * p.probes, 0) / Math.max(1, probes),
    probesPerSec: phases.reduce((t, p) => t + p.probesPerSec, 0) / phases.length,
    failed: phases.reduce((t, p) => t + p.failed, 0),
    hgrm: merged.outputPercentileDistribution(1, 1000),
    histogram: hdr.encodeIntoCompressedBase64(merged),
  };
  merged.destroy();
  return out;
}
