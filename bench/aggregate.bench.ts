import * as hdr from 'hdr-histogram-js';
import { Status } from '../src/table/layout.js';
import {
  aggregateCell,
  benchPlan,
  writeObservations,
  type AggregateCell,
  type BenchPlan,
} from './aggregate-fixtures.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * Aggregator tick time over every slot, with every slot a probe check, when
 * all are healthy vs all are unhealthy (and, as a harder case, every slot
 * flipping every tick), at 16,384 slots (1 and 3 vantage rows) and at
 * 1,048,576 slots (1 row). Each tick is one sample (TickStats.tickMs,
 * performance.now() around the whole tick, publish included): a tick is
 * 0.1–100 ms, far above the timer's resolution, so no batching is needed.
 * Small rounds (5 ticks per state, 1 at a million slots) interleave the
 * health states, rotating which goes first, so drift on a shared machine
 * hits every state alike. Statuses are checked at the
 * end: a state whose table is wrong is marked, not ranked.
 */
const STATES = ['healthy', 'all-down', 'flapping'] as const;
type State = (typeof STATES)[number];

/** The reported tick-time percentiles, one literal type for tables and summary. */
type Percentile = 'p50' | 'p99' | 'max';

interface Shape {
  readonly capacity: number;
  readonly vantages: number;
  /** Timed ticks per state, over all rounds. */
  readonly ticks: number;
  /** Ticks per state in one round: rounds are small, so drift hits every state alike. */
  readonly batch: number;
  readonly key: string;
}

interface Row {
  shape: string;
  capacity: number;
  vantages: number;
  state: State;
  ticks: number;
  rounds: number;
  tickMs: Record<Percentile, number>;
  nsPerSlotP50: number;
  /** p50 of this state ÷ p50 when healthy (goal 0.95–1.05). */
  ratioVsHealthy: number;
  /** Status changes per tick seen: 0 in steady states, capacity when flapping. */
  changesPerTick: number;
  correct: boolean;
  hgrm: string;
}

function shapes(quick: boolean): Shape[] {
  return [
    // A 16k tick takes well under a millisecond: thousands of samples cost
    // seconds, and the p50 ratio then stops moving with the machine's drift.
    { capacity: 16_384, vantages: 1, ticks: quick ? 60 : 2000, batch: 5, key: 'c16k_v1' },
    { capacity: 16_384, vantages: 3, ticks: quick ? 60 : 2000, batch: 5, key: 'c16k_v3' },
    { capacity: 1_048_576, vantages: 1, ticks: quick ? 8 : 60, batch: 1, key: 'c1m_v1' },
  ];
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: readonly number[], p: Percentile): number {
  if (p === 'max') return sorted[sorted.length - 1] as number;
  const q = p === 'p50' ? 0.5 : 0.99;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

export const aggregateScenario: Scenario = {
  name: 'aggregate',
  description:
    'aggregator tick time over every slot: healthy vs all down (and flapping), 16,384 slots × 1/3 vantages and 1,048,576 slots',
  estimateSeconds: (quick) => (quick ? 10 : 35),
  async run(ctx): Promise<ScenarioResult> {
    const list = shapes(ctx.quick);
    const rounds = Math.max(...list.map((s) => Math.ceil(s.ticks / s.batch)));

    const plans = new Map<number, BenchPlan>();
    for (const capacity of new Set(list.map((s) => s.capacity))) {
      const built = benchPlan(capacity);
      ctx.log(`capacity ${capacity}: plan via ${built.built} in ${fmt(built.buildMs, 0)} ms`);
      plans.set(capacity, built);
    }

    const cells = new Map<string, { cell: AggregateCell; flip: number }>();
    const samples = new Map<string, number[]>();
    const changes = new Map<string, number>();
    const id = (shape: Shape, state: State) => `${shape.key}@${state}`;
    for (const shape of list) {
      const plan = (plans.get(shape.capacity) as BenchPlan).plan;
      for (const state of STATES) {
        cells.set(id(shape, state), {
          cell: aggregateCell(plan, shape.vantages, state === 'all-down' ? 1 : 0),
          flip: 0,
        });
        samples.set(id(shape, state), []);
        changes.set(id(shape, state), 0);
      }
    }

    const tickOnce = (shape: Shape, state: State): number => {
      const entry = cells.get(id(shape, state)) as { cell: AggregateCell; flip: number };
      if (state === 'flapping') {
        // Outside the timed tick: every slot's run reaches the threshold with the other result.
        entry.flip ^= 1;
        writeObservations(entry.cell.observations, entry.flip);
      }
      const st = entry.cell.aggregator.tick();
      changes.set(id(shape, state), (changes.get(id(shape, state)) as number) + st.changes);
      return st.tickMs;
    };

    ctx.log('warm-up');
    for (const shape of list) {
      const warm = shape.capacity > 100_000 ? 3 : 40;
      for (const state of STATES) for (let i = 0; i < warm; i++) tickOnce(shape, state);
      for (const state of STATES) changes.set(id(shape, state), 0);
    }

    // Round r runs `batch` ticks of each state, the first state rotating with r.
    for (const shape of list) {
      const shapeRounds = Math.ceil(shape.ticks / shape.batch);
      ctx.log(
        `${shape.capacity} slots × ${shape.vantages} vantage(s): ${shapeRounds} rounds of ${shape.batch} tick(s) per state`,
      );
      for (let round = 0; round < shapeRounds; round++) {
        for (let k = 0; k < STATES.length; k++) {
          const state = STATES[(k + round) % STATES.length] as State;
          const out = samples.get(id(shape, state)) as number[];
          for (let i = 0; i < shape.batch; i++) out.push(tickOnce(shape, state));
        }
      }
    }

    const rows: Row[] = [];
    for (const shape of list) {
      const healthyP50 = percentile(
        [...(samples.get(id(shape, 'healthy')) as number[])].sort((a, b) => a - b),
        'p50',
      );
      for (const state of STATES) {
        const key = id(shape, state);
        const values = samples.get(key) as number[];
        const sorted = [...values].sort((a, b) => a - b);
        const tickMs = {
          p50: percentile(sorted, 'p50'),
          p99: percentile(sorted, 'p99'),
          max: percentile(sorted, 'max'),
        };
        const { cell } = cells.get(key) as { cell: AggregateCell };
        const [unknown, healthy, unhealthy] = cell.status.counts();
        const want =
          state === 'healthy' ? Status.HEALTHY : state === 'all-down' ? Status.UNHEALTHY : cell.status.get(0);
        const changesPerTick = (changes.get(key) as number) / values.length;
        const correct =
          unknown === 0 &&
          (want === Status.HEALTHY ? healthy === shape.capacity : unhealthy === shape.capacity) &&
          changesPerTick === (state === 'flapping' ? shape.capacity : 0);
        const histogram = hdr.build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 60_000_000,
          numberOfSignificantValueDigits: 3,
        });
        for (const ms of values) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
        const hgrm = ctx.writeFile(
          `aggregate/${shape.key}-${state}.hgrm`,
          histogram.outputPercentileDistribution(5, 1000),
        );
        histogram.destroy();
        rows.push({
          shape: shape.key,
          capacity: shape.capacity,
          vantages: shape.vantages,
          state,
          ticks: values.length,
          rounds: Math.ceil(shape.ticks / shape.batch),
          tickMs,
          nsPerSlotP50: (tickMs.p50 * 1e6) / shape.capacity,
          ratioVsHealthy: tickMs.p50 / healthyP50,
          changesPerTick,
          correct,
          hgrm,
        });
      }
    }

    const row = (shape: string, state: State) => rows.find((r) => r.shape === shape && r.state === state) as Row;
    const summary: Record<string, number | string | boolean> = {};
    for (const shape of list) {
      summary[`${shape.key}_tick_ms_p50_healthy`] = round4(row(shape.key, 'healthy').tickMs.p50);
      summary[`${shape.key}_tick_ms_p50_all_down`] = round4(row(shape.key, 'all-down').tickMs.p50);
      summary[`${shape.key}_tick_ms_p99_all_down`] = round4(row(shape.key, 'all-down').tickMs.p99);
      summary[`${shape.key}_ratio_all_down_vs_healthy`] = round4(row(shape.key, 'all-down').ratioVsHealthy);
      summary[`${shape.key}_ratio_flapping_vs_healthy`] = round4(row(shape.key, 'flapping').ratioVsHealthy);
    }
    summary['c1m_plan_built'] = (plans.get(1_048_576) as BenchPlan).built;
    summary['goal_ratio_within_5pct_met'] = list.every(
      (s) => Math.abs(row(s.key, 'all-down').ratioVsHealthy - 1) <= 0.05,
    );
    summary['all_tables_correct'] = rows.every((r) => r.correct);

    const table = markdownTable(
      [
        'slots',
        'vantages',
        'state',
        'ticks',
        'tick ms p50',
        'tick ms p99',
        'tick ms max',
        'ns/slot p50',
        'p50 ÷ healthy',
        'changes/tick',
        'table correct',
      ],
      rows.map((r) => [
        r.capacity.toLocaleString('en-US'),
        r.vantages,
        r.state,
        r.ticks,
        fmt(r.tickMs.p50, 3),
        fmt(r.tickMs.p99, 3),
        fmt(r.tickMs.max, 3),
        fmt(r.nsPerSlotP50, 1),
        fmt(r.ratioVsHealthy, 3),
        r.changesPerTick.toLocaleString('en-US'),
        r.correct ? 'yes' : '**NO**',
      ]),
    );
    const markdown = [
      '### Aggregator tick (every slot, every tick)',
      '',
      `Every slot a probe check (threshold 3); "all-down" has every slot UNHEALTHY, "flapping" flips every slot every tick (observations rewritten between ticks, outside the timing). One sample per tick (performance.now() around the whole tick, publish included); the states interleave in rounds of 5 ticks each (1 at a million slots), the first state rotating, up to ${rounds} rounds; percentiles by nearest rank over all samples. "p50 ÷ healthy" is the goal figure (0.95–1.05). The 1,048,576-slot plan is built ${(plans.get(1_048_576) as BenchPlan).built === 'direct' ? 'directly as per-slot arrays (compiling a million checks through the config takes ~16 s)' : 'through compileConfig'}. Histograms: ${rows.map((r) => `\`${r.hgrm}\``).join(', ')}.`,
      '',
      table,
    ].join('\n');
    return { summary, markdown, details: { rounds, shapes: list, rows } };
  },
};

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
