import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { compileConfig } from '../src/config/compile.js';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';
import { parseHgrm, summarize } from '../src/metrics/hgrm.js';
import { percentilePlot } from '../src/metrics/svg.js';
import { reportTable } from '../src/cli/report.js';
import { fmt, markdownTable, stealMs, type Scenario, type ScenarioResult } from './harness.js';
import { measureStallFloor } from './stall-floor.js';
import {
  PHASES,
  kControlFields,
  kEpochField,
  kPhaseField,
  kStopField,
  type LoadResult,
  type LoadWorkerData,
} from './mass-failure.js';

const NAMES = 1000;
const POLICIES = ['weighted', 'multivalue', 'failover', 'simple'] as const;

/** A cell of NAMES names over loopback answers, 8 answers a name (failover 2), one check per answer. */
export function massPlan() {
  const checks: object[] = [];
  const records: object[] = [];
  let slot = 0;
  for (let n = 0; n < NAMES; n++) {
    const policy = POLICIES[n % POLICIES.length] as string;
    const count = policy === 'failover' ? 2 : 8;
    const answers: object[] = [];
    for (let k = 0; k < count; k++) {
      const s = slot++;
      if (policy !== 'simple') checks.push({ id: `c${s}`, slot: s, type: 'tcp', host: '127.0.0.1', port: 9 });
      answers.push({
        value: `127.${(s >> 8) & 255}.${s & 255}.${k + 1}`,
        ...(policy === 'weighted' ? { weight: 1 + k } : {}),
        ...(policy === 'failover' ? { role: k === 0 ? 'primary' : 'secondary' } : {}),
        ...(policy === 'simple' ? {} : { check: `c${s}` }),
      });
    }
    records.push({ name: `n${n}.mass.test`, type: 'A', policy, answers });
  }
  return compileConfig({ cell: { name: 'mass', capacity: 16_384 }, checks, zones: [{ origin: 'mass.test' }], records });
}

/**
 * Mass failure under load: a resolver thread resolves at a fixed rate
 * against the shared table while 50%, then 100% of the checks fail at once,
 * then recover. Per phase: latency from the intended send time (HDR), and
 * memory. Goal: p99 and p99.9 of every failure phase within 1.1× healthy.
 */
export const massFailureScenario: Scenario = {
  name: 'mass-failure',
  description: 'resolver thread at a fixed rate while 50% then 100% of targets fail at once, then recover',
  estimateSeconds: (quick) => (quick ? 6 : 44),
  async run(ctx): Promise<ScenarioResult> {
    // Short phases, many cycles: this machine's speed drifts over seconds to
    // minutes, and a drift then lands on every phase alike.
    const rounds = ctx.quick ? 2 : 32;
    const phaseMs = ctx.quick ? 300 : 250;
    const ratePerSec = ctx.quick ? 100_000 : 200_000;
    // The machine's own stall rate, with nothing of ours running beside it.
    ctx.log(`stall floor: a thread that only reads the clock, ${ctx.quick ? 0.2 : 5} s`);
    const floor = await measureStallFloor(ctx.quick ? 200 : 5000);
    const plan = massPlan();
    const table = StatusTable.create(plan.cell.capacity);
    const used = plan.checks.map((c) => c.slot);
    for (const s of used) table.set(s, Status.HEALTHY);
    table.publish();
    // The control table: the same slots, healthy for the whole run.
    const controlTable = StatusTable.create(plan.cell.capacity);
    for (const s of used) controlTable.set(s, Status.HEALTHY);
    controlTable.publish();
    const control = new Int32Array(new SharedArrayBuffer(4 * kControlFields));
    const names = Array.from({ length: NAMES }, (_, n) => `n${n}.mass.test`);
    const data: LoadWorkerData = {
      plan,
      statusBuffer: table.buffer,
      controlStatusBuffer: controlTable.buffer,
      control: control.buffer as SharedArrayBuffer,
      ratePerSec,
      names,
      seed: 7,
    };
    const worker = new Worker(new URL('./workers/mass-failure-worker.js', import.meta.url), { workerData: data });
    const result = new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const memory: { phase: string; rssMiB: number; mainHeapMiB: number }[] = [];
    const flipMs: number[] = [];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const flip = (fraction: number, status: Status) => {
      const t = performance.now();
      const n = Math.round(used.length * fraction);
      for (let k = 0; k < n; k++) table.set(used[k] as number, status);
      table.publish();
      flipMs.push(performance.now() - t);
    };
    const mark = (phase: string) => {
      const m = process.memoryUsage();
      memory.push({ phase, rssMiB: m.rss / 2 ** 20, mainHeapMiB: m.heapUsed / 2 ** 20 });
    };
    // One cycle: healthy → half down → all down → recovered, each phase
    // `phaseMs` long, the checks failing (then recovering) at once at each
    // change and the phase word following them. `reset` starts the record
    // over as the healthy phase begins (after the phase word, so no query of
    // the new record lands in the phase before).
    const cycle = async (reset: boolean, last: boolean) => {
      Atomics.store(control, kPhaseField, 1);
      if (reset) Atomics.add(control, kEpochField, 1);
      await sleep(phaseMs);
      if (last) mark('healthy');
      flip(0.5, Status.UNHEALTHY);
      Atomics.store(control, kPhaseField, 2);
      await sleep(phaseMs);
      if (last) mark('half down');
      flip(1, Status.UNHEALTHY);
      Atomics.store(control, kPhaseField, 3);
      await sleep(phaseMs);
      if (last) mark('all down');
      flip(1, Status.HEALTHY);
      Atomics.store(control, kPhaseField, 4);
      await sleep(phaseMs);
      if (last) mark('recovered');
    };
    // The warm-up runs the same cycles, unreported, each starting the record
    // over (the epoch word), as the first measured cycle does. So the JIT has
    // compiled, and collected type feedback on, everything a measured cycle
    // runs (the phase changes and the reset included) before the first one:
    // a tier-up or deopt would otherwise land on the healthy phase.
    const warmUpCycles = ctx.quick ? 1 : 4;
    for (let c = 0; c < warmUpCycles; c++) await cycle(true, false);
    flipMs.length = 0;
    // The cycle healthy → half down → all down → recovered runs `rounds`
    // times and each phase's windows are merged: a noisy neighbour then
    // lands on every phase alike instead of on whichever came at a bad time.
    const steal0 = stealMs();
    const measured0 = performance.now();
    for (let round = 0; round < rounds; round++) {
      if (round % 8 === 0)
        ctx.log(
          `round ${round + 1}/${rounds}: healthy, then ${Math.round(used.length / 2)} of ${used.length} checks fail at once, then all, then all recover`,
        );
      await cycle(round === 0, round === rounds - 1);
    }
    const steal1 = stealMs();
    const measuredMs = performance.now() - measured0;
    const steal = steal0 === null || steal1 === null ? null : steal1 - steal0;
    Atomics.store(control, kStopField, 1);
    const load = await result;
    await worker.terminate();
    const totalQueries = load.queries.reduce((t, q) => t + q, 0);

    const toCurves = (list: readonly string[], suffix: string) =>
      list.slice(1).map((b64, k) => {
        const i = k + 1;
        const h = hdr.decodeFromCompressedBase64(b64);
        const text = h.outputPercentileDistribution(5, 1000); // ns → µs
        h.destroy();
        const file = `mass-failure/${(PHASES[i] as string).replace(' ', '-')}${suffix}.hgrm`;
        ctx.writeFile(file, text);
        return {
          label: `${PHASES[i] as string}${suffix === '' ? '' : ' (control)'}`,
          distribution: parseHgrm(text, file),
          file,
        };
      });
    const curves = toCurves(load.histograms, '');
    const controlCurves = toCurves(load.controlHistograms, '-control');
    ctx.writeFile(
      'mass-failure/percentiles.svg',
      percentilePlot('Resolve latency from intended send time, per phase', 'µs', curves),
    );
    const s = curves.map((c) => summarize(c.distribution));
    const cs = controlCurves.map((c) => summarize(c.distribution));
    const base = s[0] as ReturnType<typeof summarize>;
    const ratio = (i: number, k: 'p99' | 'p999') => (s[i] as ReturnType<typeof summarize>)[k] / base[k];
    // Subject ÷ control in the same phase: the same time windows, so the same stalls.
    const paired = (i: number, k: 'p99' | 'p999') =>
      (s[i] as ReturnType<typeof summarize>)[k] / (cs[i] as ReturnType<typeof summarize>)[k];
    const summary = {
      rate_per_sec: ratePerSec,
      phase_seconds: phaseMs / 1000,
      rounds,
      healthy_p99_us: base.p99,
      healthy_p999_us: base.p999,
      all_down_p99_us: (s[2] as ReturnType<typeof summarize>).p99,
      all_down_p999_us: (s[2] as ReturnType<typeof summarize>).p999,
      half_down_p99_ratio: round(ratio(1, 'p99')),
      all_down_p99_ratio: round(ratio(2, 'p99')),
      all_down_p999_ratio: round(ratio(2, 'p999')),
      recovered_p99_ratio: round(ratio(3, 'p99')),
      goal_met: [1, 2, 3].every((i) => ratio(i, 'p99') <= 1.1 && ratio(i, 'p999') <= 1.1),
      paired_all_down_p99_ratio: round(paired(2, 'p99')),
      paired_all_down_p999_ratio: round(paired(2, 'p999')),
      paired_goal_met: [0, 1, 2, 3].every((i) => paired(i, 'p99') <= 1.1 && paired(i, 'p999') <= 1.1),
      steal_ms: steal,
      load_thread_collections: load.collections.count,
      stalls_per_10s: round((load.stalls.waitMs.length / (measuredMs / 1000)) * 10),
      floor_stalls_per_10s: round((floor.stallsOver1ms / floor.seconds) * 10),
      floor_longest_stall_ms: round(floor.longestMs),
      floor_collections: floor.collections,
      rss_mib_healthy: round(memory[0]?.rssMiB ?? 0),
      rss_mib_all_down: round(memory[2]?.rssMiB ?? 0),
    };
    // Per phase: how many of its windows held a query that waited over 1 ms.
    const stalls = [1, 2, 3, 4].map((ph) => {
      const maxes = load.windowMaxNs.filter((_, w) => load.windowPhase[w] === ph);
      const at = load.stalls.atMs.filter((_, k) => load.windowPhase[load.stalls.window[k] as number] === ph);
      return {
        phase: PHASES[ph] as string,
        windows: maxes.length,
        over1ms: maxes.filter((x) => x > 1e6).length,
        worstMs: Math.max(0, ...maxes) / 1e6,
        stalls: at.length,
        stallsInFirst10ms: at.filter((ms) => ms < 10).length,
      };
    });
    const markdown = [
      '### Mass failure under load',
      '',
      `After a warm-up of ${warmUpCycles} unreported cycle(s) through every state, each starting the record over (so the JIT has seen every path a measured cycle takes before the first measured phase), one resolver thread resolves ${ratePerSec.toLocaleString('en-US')} queries/s, every other one a control query (below) (fixed rate, busy-paced on a clock read that allocates nothing, bench/paced-clock.ts; whether the load thread collected garbage is counted below) over ${NAMES} names (weighted, multivalue, failover, simple; ${used.length} checks) against the shared StatusTable, for ${phaseMs / 1000} s per phase window, the four-phase cycle repeated ${rounds} time(s) with each phase's windows merged. The main thread fails 50% of the checks at once, then 100%, then recovers all, each with one pass over the table (median ${fmt(flipMs.slice().sort((a, b) => a - b)[flipMs.length >> 1] ?? 0, 2)} ms over ${flipMs.length} flips). Latency is from each query's intended send time, so stalls count against every query they delay. ${totalQueries.toLocaleString('en-US')} queries. Histograms: \`mass-failure/*.hgrm\`; plot: [mass-failure/percentiles.svg](mass-failure/percentiles.svg).`,
      '',
      reportTable(curves, 'µs'),
      '',
      `Paired with the control — every other query resolves the same names against a second table that stays healthy, so both see the same time windows and the same stalls (histograms \`mass-failure/*-control.hgrm\`). Subject ÷ control in the same phase:`,
      '',
      markdownTable(
        [
          'phase',
          'subject p99 (µs)',
          'control p99 (µs)',
          'p99 ÷ control',
          'subject p99.9 (µs)',
          'control p99.9 (µs)',
          'p99.9 ÷ control',
        ],
        s.map((x, i) => {
          const c = cs[i] as ReturnType<typeof summarize>;
          return [
            curves[i]?.label ?? '',
            fmt(x.p99, 1),
            fmt(c.p99, 1),
            fmt(paired(i, 'p99'), 3),
            fmt(x.p999, 1),
            fmt(c.p999, 1),
            fmt(paired(i, 'p999'), 3),
          ];
        }),
      ),
      '',
      'Where the tails came from: per phase, its windows, how many held a subject query that waited over 1 ms from its intended send time, the worst wait of any, and the stalls (a query, subject or control, waiting over 1 ms after one that did not), with how many of them came in the first 10 ms of a window, right after its flip (4% of the time):',
      '',
      markdownTable(
        ['phase', 'windows', 'windows with a wait > 1 ms', 'worst wait (ms)', 'stalls', "in a window's first 10 ms"],
        stalls.map((x) => [x.phase, x.windows, x.over1ms, fmt(x.worstMs, 2), x.stalls, x.stallsInFirst10ms]),
      ),
      '',
      load.collections.count === 0
        ? 'The load thread collected no garbage while the phases ran (counted with `v8.GCProfiler`): the tail above holds none of its own collections.'
        : `The load thread collected garbage ${load.collections.count} time(s) while the phases ran (${[...new Set(load.collections.kinds)].join(', ')}; ${fmt(load.collections.totalMs, 2)} ms in all, counted with \`v8.GCProfiler\`): those pauses are in the tail above.`,
      '',
      "Memory at the end of each phase of the last round (the load thread's own heap in the last column):",
      '',
      markdownTable(
        ['phase', 'process RSS (MiB)', 'main heap (MiB)', 'load thread heap (MiB)'],
        memory.map((m, i) => [
          m.phase,
          fmt(m.rssMiB, 1),
          fmt(m.mainHeapMiB, 1),
          fmt((load.heapUsed[i + 1] ?? 0) / 2 ** 20, 1),
        ]),
      ),
      '',
      `Goal: p99 and p99.9 of every failure phase within 1.1× the healthy phase — ${summary.goal_met ? 'met' : 'not met'} in this run. Against the healthy control in the same windows, every phase within 1.1× — ${summary.paired_goal_met ? 'met' : 'not met'}.`,
      '',
      `Stalls: ${load.stalls.waitMs.length} of over 1 ms in ${fmt(measuredMs / 1000, 1)} s of phases (${stalls.map((x) => `${x.phase} ${x.stalls}`).join(', ')}), ${steal === null ? 'hypervisor steal not available here (/proc/stat)' : `with ${fmt(steal, 0)} ms of hypervisor steal reported on ${os.cpus().length} CPUs (${fmt((steal / (measuredMs * os.cpus().length)) * 100, 2)}%)`}; ${stalls.reduce((t, x) => t + x.stallsInFirst10ms, 0)} of them in a window's first 10 ms, right after a flip. Just before the phases, a thread of its own that did nothing but read the clock for ${fmt(floor.seconds, 1)} s (bench/stall-floor.ts) was stopped for over 1 ms ${floor.stallsOver1ms} time(s), the longest ${fmt(floor.longestMs, 2)} ms, with ${floor.collections} collection(s) of its own: ${fmt((floor.stallsOver1ms / floor.seconds) * 10, 1)} per 10 s, against ${fmt((load.stalls.waitMs.length / (measuredMs / 1000)) * 10, 1)} per 10 s in the phases. p99.9 here is the top ${Math.round((s[0]?.count ?? 0) / 1000).toLocaleString('en-US')} subject queries of a phase, i.e. ${fmt(((s[0]?.count ?? 0) / 1000 / (ratePerSec / 2)) * 1000, 0)} ms of its load, so one stall of a few ms sets a phase's p99.9 whichever phase it lands in: the raw p99.9 ratios follow where the stalls fell, while the control in the same windows takes the same stalls.`,
    ].join('\n');
    return {
      summary,
      markdown,
      details: {
        stalls,
        stallTimes: load.stalls,
        stallFloor: floor,
        collections: load.collections,
        queriesPerPhase: load.queries,
        emptyAnswers: load.answersEmpty,
        memory,
        flipMs,
        summaries: s,
      },
    };
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
