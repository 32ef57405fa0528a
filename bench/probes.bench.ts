import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as hdr from 'hdr-histogram-js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { CheckerPool } from '../src/check/checker-pool.js';
import { assignPhases, partitionChecks, scheduleClock } from '../src/check/schedule.js';
import { startHttpProbe } from '../src/check/http.js';
import {
  addCounts,
  countsPercentile,
  countsTotal,
  readCounts,
  sharedHistogramBucketValue,
  subtractCounts,
  SharedHistogram,
  SHARED_HISTOGRAM_BUCKETS,
} from '../src/metrics/shared-histogram.js';
import type { TimerFloorData } from './timer-floor.js';
import { Targets, processCpuMs } from './dns-children.js';
import { fmt, markdownTable, stealMs, type Scenario, type ScenarioResult } from './harness.js';

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
  /** CPU of the targets process per probe, µs (null without /proc). */
  readonly targetsCpuUs: number | null;
  /** The floor thread's lateness in the same windows, if it ran. */
  readonly floorMs: { p50: number; p99: number; p999: number } | null;
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

const WORKERS = 2;

/** A running pool of `n` checks on `targets`, its schedule starting at `epochMs` (thread start-up is not lateness). */
function startPool(checks: readonly ProbeCheckSpec[], epochMs: number): CheckerPool {
  const pool = new CheckerPool(ObservationTable.create(CAPACITY, 1), { workers: WORKERS, log: () => {} });
  pool.start(checks, epochMs);
  return pool;
}

/** The lateness floor (bench/timer-floor.ts): one checker thread's schedule, with nothing attached, on a thread of its own. */
class TimerFloor {
  private readonly histogram = SharedHistogram.buffer(1);
  private readonly stopWord = new Int32Array(new SharedArrayBuffer(4));
  private readonly busy = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly starts: Promise<number>;

  constructor(checks: readonly ProbeCheckSpec[], epochMs: number) {
    const data: TimerFloorData = {
      checks: partitionChecks(assignPhases(checks), WORKERS)[0] ?? [],
      epochMs,
      histogram: this.histogram,
      stop: this.stopWord.buffer as SharedArrayBuffer,
      busy: this.busy.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(new URL('./workers/timer-floor-worker.js', import.meta.url), { workerData: data });
    this.starts = new Promise((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
  }

  counts(): Float64Array {
    return readCounts(this.histogram);
  }

  /** The floor thread's busy time so far, ms (to within its 100 ms updates). */
  busyMs(): number {
    return this.busy[0] as number;
  }

  async stop(): Promise<number> {
    Atomics.store(this.stopWord, 0, 1);
    Atomics.notify(this.stopWord, 0);
    const n = await this.starts;
    await this.worker.terminate();
    return n;
  }
}

interface Window {
  readonly counts: Float64Array;
  /** CPU the targets process spent in the window, ms (null without /proc). */
  readonly targetsCpuMs: number | null;
  /** Hypervisor steal over the window, ms of CPU summed over the cores (null without /proc). */
  readonly stealMs: number | null;
  readonly floorCounts: Float64Array | null;
  readonly cpuUs: number;
  readonly wallMs: number;
  readonly probes: number;
  readonly failed: number;
}

/** Lateness, CPU and probes of `pool` (and the floor's lateness) over the next `ms`. */
async function window(
  pool: CheckerPool,
  ms: number,
  targets: Targets,
  floor: TimerFloor | null = null,
): Promise<Window> {
  const t0cpu = processCpuMs(targets.proc.child.pid);
  const steal0 = stealMs();
  const c0 = pool.lateness();
  const f0 = floor?.counts() ?? null;
  const fb0 = floor?.busyMs() ?? 0;
  const s0 = pool.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const cpu = process.cpuUsage(cpu0);
  // The floor thread is not the checkers': its CPU comes out of the process's.
  const floorUs = floor === null ? 0 : (floor.busyMs() - fb0) * 1000;
  const wallMs = performance.now() - t0;
  const s1 = pool.stats();
  const floorCounts = floor === null || f0 === null ? null : subtractCounts(floor.counts(), f0);
  const t1cpu = processCpuMs(targets.proc.child.pid);
  const targetsCpuMs = t0cpu === null || t1cpu === null ? null : t1cpu - t0cpu;
  const steal1 = stealMs();
  return {
    counts: subtractCounts(pool.lateness(), c0),
    targetsCpuMs,
    stealMs: steal0 === null || steal1 === null ? null : steal1 - steal0,
    floorCounts,
    cpuUs: Math.max(0, cpu.user + cpu.system - floorUs),
    wallMs,
    probes: s1.probesStarted - s0.probesStarted,
    failed: s1.probesFailed - s0.probesFailed,
  };
}

/**
 * Heap one hanging HTTP probe keeps, bytes: `n` probes through the callback
 * form the checker threads run, against hanging targets, measured between
 * full collections once every request is sent; beside it, `n` bare sockets
 * that send the same request and hold it, as the part no probe can shed.
 */
async function heapPerHangingProbe(targets: Targets, n: number): Promise<{ probeBytes: number; socketBytes: number }> {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const deadlineMs = 1_000;
  const list = specs(n, 10_000, deadlineMs, targets.port);
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${PREFIX}.1\r\n\r\n`, 'latin1');
  // Long enough for every connection to open and its request to go out.
  const heap = async () => {
    await sleep(300);
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const sockets: Socket[] = [];
  const ignore = () => {};
  const open = (specsToOpen: readonly ProbeCheckSpec[]) => {
    for (const spec of specsToOpen) {
      const socket = connect({ host: spec.host, port: spec.port });
      socket.on('error', ignore);
      socket.on('data', ignore);
      socket.write(request);
      sockets.push(socket);
    }
  };
  let ended = 0;
  const onVerdict = () => void (ended += 1);
  // A few of each first, so neither measure carries the code and caches
  // the first use of its path brings.
  const warm = list.slice(0, 20);
  open(warm);
  for (const spec of warm) startHttpProbe(spec, 50, ignore, null);
  await sleep(200);
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  // The bare sockets first: destroyed, they are gone by the next reading,
  // while probes would still hang until their deadline.
  const s0 = await heap();
  open(list);
  const s1 = await heap();
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  const p0 = await heap();
  for (const spec of list) startHttpProbe(spec, deadlineMs, onVerdict, null);
  const p1 = await heap();
  for (let waited = 0; ended < n && waited < 5_000; waited += 50) await sleep(50);
  return { probeBytes: (p1 - p0) / n, socketBytes: (s1 - s0) / n };
}

/** Windows of one kind merged: counts added, CPU and probes summed. */
function merge(checks: number, intervalMs: number, target: Measured['target'], parts: readonly Window[]): Measured {
  const counts = new Float64Array(SHARED_HISTOGRAM_BUCKETS);
  for (const p of parts) addCounts(counts, p.counts);
  const ms = (q: number) => countsPercentile(counts, q) / 1000;
  let floorMs: Measured['floorMs'] = null;
  if (parts.length > 0 && parts.every((p) => p.floorCounts !== null)) {
    const floor = new Float64Array(SHARED_HISTOGRAM_BUCKETS);
    for (const p of parts) addCounts(floor, p.floorCounts as Float64Array);
    const f = (q: number) => countsPercentile(floor, q) / 1000;
    floorMs = { p50: f(50), p99: f(99), p999: f(99.9) };
  }
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
    targetsCpuUs: parts.every((p) => p.targetsCpuMs !== null)
      ? (parts.reduce((t, p) => t + (p.targetsCpuMs as number), 0) * 1000) /
        Math.max(
          1,
          parts.reduce((t, p) => t + p.probes, 0),
        )
      : null,
    floorMs,
  };
}

/** The counts as an HdrHistogram percentile distribution (.hgrm, ms), each value at its bucket's highest. */
function toHgrm(counts: Float64Array): string {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
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
  description:
    'checker workers: probe start lateness, answering vs timing-out targets; CPU per probe; largest N per interval',
  estimateSeconds: (quick) => (quick ? 8 : 130),
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
      const checks = specs(n, intervalMs, timeoutMs, targets.port);
      const epochMs = scheduleClock() + leadMs;
      const pool = startPool(checks, epochMs);
      const floor = new TimerFloor(checks, epochMs);
      const parts: Record<'answer' | 'hang', Window[]> = { answer: [], hang: [] };
      // One cycle through both states before any window counts: a run's
      // first windows are its noisiest (paths the JIT has not seen yet, the
      // heap growing to hold a timeout's worth of sockets), and in five runs
      // the first hanging window had the do-nothing floor thread's highest
      // p99, about twice its others. The cycle's windows are reported alone.
      const warmUp: Partial<Record<'answer' | 'hang', Window>> = {};
      try {
        await targets.set(() => 'answer');
        await sleep(leadMs + intervalMs);
        if (!ctx.quick) {
          for (const mode of ['hang', 'answer'] as const) {
            await targets.set(() => mode);
            await sleep(settleMs);
            warmUp[mode] = await window(pool, intervalMs, targets, floor);
          }
        }
        for (let w = 0; w < 2 * windowsPerKind; w++) {
          const mode: 'answer' | 'hang' = ((w + 1) >> 1) % 2 === 0 ? 'answer' : 'hang';
          if (w % 4 === 0)
            ctx.log(
              `windows ${w + 1}–${Math.min(w + 4, 2 * windowsPerKind)}/${2 * windowsPerKind}: ${n} checks / ${intervalMs} ms, every target answering or every one hanging (A H H A)`,
            );
          await targets.set(() => mode);
          await sleep(settleMs);
          parts[mode].push(await window(pool, intervalMs, targets, floor));
        }
      } finally {
        await targets.set(() => 'answer');
        await pool.stop();
        await floor.stop();
      }
      const healthy = merge(n, intervalMs, 'answering', parts.answer);
      const down = merge(n, intervalMs, 'timing out', parts.hang);

      const ramp: Measured[] = [];
      const sizes = ctx.quick ? [500] : [2000, 4000, 8000, 12000, 16000, 24000];
      await targets.set(() => 'hang');
      for (const size of sizes) {
        ctx.log(`capacity ramp: ${size} checks / ${intervalMs} ms, all timing out`);
        const rampPool = startPool(specs(size, intervalMs, timeoutMs, targets.port), scheduleClock() + leadMs);
        let p: Measured;
        try {
          await sleep(leadMs + intervalMs);
          p = merge(size, intervalMs, 'timing out', [
            await window(rampPool, (ctx.quick ? 1 : 3) * intervalMs, targets),
          ]);
        } finally {
          await rampPool.stop();
        }
        ramp.push(p);
        if (p.latenessMs.p99 >= intervalMs / 10) break;
      }
      const heapKept = await heapPerHangingProbe(targets, ctx.quick ? 200 : 1000);
      const sustained = ramp.filter((p) => p.latenessMs.p99 < intervalMs / 10).map((p) => p.checks);
      const maxChecks = sustained.length > 0 ? Math.max(...sustained) : 0;
      const ratio = down.latenessMs.p99 / healthy.latenessMs.p99;
      const steal = (list: readonly Window[]) =>
        list.every((p) => p.stealMs !== null) ? list.reduce((t, p) => t + (p.stealMs as number), 0) : null;
      // Each state's p99 over the floor's in the same windows, timing out ÷ answering.
      const pairedRatio =
        healthy.floorMs === null || down.floorMs === null
          ? null
          : down.latenessMs.p99 / down.floorMs.p99 / (healthy.latenessMs.p99 / healthy.floorMs.p99);
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
        lateness_p99_ratio_over_floor: pairedRatio === null ? null : round(pairedRatio),
        floor_lateness_p99_ms_healthy: healthy.floorMs === null ? null : round(healthy.floorMs.p99),
        floor_lateness_p99_ms_timing_out: down.floorMs === null ? null : round(down.floorMs.p99),
        steal_ms_answering: steal(parts.answer),
        steal_ms_timing_out: steal(parts.hang),
        heap_bytes_per_hanging_probe: Math.round(heapKept.probeBytes),
        heap_bytes_per_hanging_bare_socket: Math.round(heapKept.socketBytes),
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
        p.targetsCpuUs === null ? '—' : fmt(p.targetsCpuUs, 1),
        p.floorMs === null ? '—' : fmt(p.floorMs.p99, 3),
      ]);
      const markdown = [
        '### Checker workers: probe start lateness and cost',
        '',
        `2 checker threads; every check has a fixed phase; timeout = interval / 2. Targets run in a separate process (${HOSTS} loopback HTTP hosts, bench/targets-process.ts) and switch all at once between answering 200 and hanging (a bare TCP listener that accepts and reads, never answers: every probe runs to its timeout). One pool runs throughout while ${windowsPerKind} answering and ${windowsPerKind} hanging windows alternate in the order A H H A A H H A … (a steady drift of the machine then lands on both alike); each window lets the previous state's probes end (${settleMs} ms), then measures one whole interval, in which every check starts once. Lateness = actual probe start − scheduled time, from the pool's shared lateness histogram (buckets ≤ 1.6% wide, read at each window's edges). CPU is this process's user + system time (main thread and checker threads; the floor thread's busy time, below, taken out) per probe started in the windows; targets CPU, the targets process's over the same windows (from /proc). The schedule starts ${leadMs / 1000} s after the pool, so thread start-up is not lateness. The capacity ramp runs a pool per size, every target hanging, measured over ${ctx.quick ? 1 : 3} interval(s) after the first. Histograms: \`probes-lateness-*.hgrm\`.`,
        '',
        markdownTable(
          [
            'checks',
            'interval ms',
            'targets',
            'probes',
            'probes/s',
            'lateness p50 ms',
            'p99 ms',
            'p99.9 ms',
            'max ms',
            'CPU µs/probe',
            'targets CPU µs/probe',
            'floor p99 ms',
          ],
          rows,
        ),
        '',
        `Floor: through the answering and hanging windows, a thread of its own runs the checker's scheduler (FixedScheduler) with one checker thread's ${Math.round(n / WORKERS).toLocaleString('en-US')} checks and nothing attached: no probe, no socket (bench/timer-floor.ts). Its lateness p99 in the same windows is what any timer of this process saw then — machine steal, the other threads, Node's whole-ms timer clock — and the checkers' own share is what lies above it.${pairedRatio === null ? '' : ` Checkers' p99 ÷ floor's p99, timing out ÷ answering: **${fmt(pairedRatio, 3)}**. The floor shares the process and the machine, so whatever a mass failure costs them as a whole (the collector's helper threads, the kernel's sockets) lands on it too; this ratio shows what the checkers' own path adds, not that a mass failure costs nothing.`}${steal(parts.answer) === null ? '' : ` Hypervisor steal over the answering windows: ${fmt(steal(parts.answer) as number, 0)} ms of CPU; over the timing-out windows: ${fmt(steal(parts.hang) as number, 0)} ms.`}`,
        '',
        ...(warmUp.hang === undefined || warmUp.answer === undefined
          ? []
          : [
              `Before the measured windows, one unmeasured cycle, hanging then answering, takes the first use of each path (a run's first windows were its noisiest, and the first hanging one counted against that state). Those two windows alone, lateness p99: hanging ${fmt(countsPercentile(warmUp.hang.counts, 99) / 1000, 3)} ms (floor ${warmUp.hang.floorCounts === null ? '—' : fmt(countsPercentile(warmUp.hang.floorCounts, 99) / 1000, 3)} ms), answering ${fmt(countsPercentile(warmUp.answer.counts, 99) / 1000, 3)} ms (floor ${warmUp.answer.floorCounts === null ? '—' : fmt(countsPercentile(warmUp.answer.floorCounts, 99) / 1000, 3)} ms).`,
              '',
            ]),
        `Heap one hanging probe keeps (${ctx.quick ? 200 : 1000} HTTP probes against hanging targets, the callback form the checker threads run, between full collections once every request is sent): **${fmt(heapKept.probeBytes / 1024, 2)} KiB**, against ${fmt(heapKept.socketBytes / 1024, 2)} KiB for a bare socket that sends the same request and holds it. Every young-generation collection of a checker thread copies the probes started since the last one, so this is what a hanging target costs each collection.`,
        '',
        `Lateness p99, all timing out ÷ all answering: **${fmt(ratio, 3)}** (goal ≤ 1.1). Largest cell sustained with every probe timing out and lateness p99 < 10% of the ${intervalMs} ms interval: **${maxChecks.toLocaleString('en-US')} checks per interval**${ramp.length > 0 && maxChecks === ramp[ramp.length - 1]?.checks ? ' (the largest size tried)' : ''}.`,
      ].join('\n');
      const strip = ({ counts, ...rest }: Measured) => ({ ...rest, lateness_count: countsTotal(counts) });
      const windowP99 = (list: readonly Window[]) => list.map((p) => round(countsPercentile(p.counts, 99) / 1000));
      const floorP99 = (list: readonly Window[]) =>
        list.map((p) => (p.floorCounts === null ? null : round(countsPercentile(p.floorCounts, 99) / 1000)));
      return {
        summary,
        markdown,
        details: {
          healthy: strip(healthy),
          down: strip(down),
          windowP99Ms: { answering: windowP99(parts.answer), timingOut: windowP99(parts.hang) },
          floorWindowP99Ms: { answering: floorP99(parts.answer), timingOut: floorP99(parts.hang) },
          stealMsPerWindow: {
            answering: parts.answer.map((p) => p.stealMs),
            timingOut: parts.hang.map((p) => p.stealMs),
          },
          warmUpP99Ms: {
            timingOut: warmUp.hang === undefined ? null : windowP99([warmUp.hang])[0],
            answering: warmUp.answer === undefined ? null : windowP99([warmUp.answer])[0],
            floorTimingOut: warmUp.hang === undefined ? null : floorP99([warmUp.hang])[0],
            floorAnswering: warmUp.answer === undefined ? null : floorP99([warmUp.answer])[0],
          },
          ramp: ramp.map(strip),
        },
      };
    } finally {
      await targets.proc.stop();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
