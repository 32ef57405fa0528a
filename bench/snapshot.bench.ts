import * as hdr from 'hdr-histogram-js';
import { decodeSnapshot, type DecodeExpectations } from '../src/snapshot/frame.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * Snapshot frames, sender to receiver, of a whole status table: encode
 * (SnapshotEncoder.encodeStatus: msgpack body, CRC32C or HMAC-SHA256
 * trailer), decode (decodeSnapshot: trailer check, body parse, field checks)
 * and apply (what SnapshotReceiver does with a good frame: one memcpy into
 * the StatusTable and a publish), at 16,384 and 1,048,576 slots, with every
 * slot healthy vs every slot unhealthy.
 *
 * Each sample is one frame through all three steps, each step timed with
 * performance.now() (a step takes 10 µs or more, well above the timer's
 * resolution). Rounds of a few frames per state interleave the states, the
 * first state rotating, so drift on a shared machine hits both alike. The
 * goal figures: bytes per frame equal across states, and time unhealthy ÷
 * healthy within 0.95–1.05. Every applied table is checked against the sent
 * one: a wrong row is marked, not ranked.
 */

const STATES = ['healthy', 'unhealthy'] as const;
type State = (typeof STATES)[number];
const TRAILERS = ['crc32c', 'hmac'] as const;
type Trailer = (typeof TRAILERS)[number];
const STEPS = ['encode', 'decode', 'apply', 'total'] as const;
type Step = (typeof STEPS)[number];

/** The reported percentiles, one literal type for tables and summary. */
type Percentile = 'p50' | 'p99' | 'max';
const PERCENTILES: readonly Percentile[] = ['p50', 'p99', 'max'];

const KEY = new Uint8Array(32).fill(0x5a);

interface Shape {
  readonly capacity: number;
  readonly key: string;
  /** Frames per state per trailer over all rounds. */
  readonly frames: number;
  /** Frames per state in one round. */
  readonly batch: number;
}

function shapes(quick: boolean): Shape[] {
  return [
    { capacity: 16_384, key: 'c16k', frames: quick ? 300 : 3000, batch: 10 },
    // ~2 ms a frame: 1,000 per state and trailer is ~8 s, and enough that the p50 ratio stops following the machine's drift.
    { capacity: 1_048_576, key: 'c1m', frames: quick ? 30 : 1000, batch: 2 },
  ];
}

interface Lane {
  encoder: SnapshotEncoder;
  src: StatusTable;
  dst: StatusTable;
  expect: DecodeExpectations;
  key: Uint8Array | undefined;
  /** ns per step. */
  samples: Record<Step, number[]>;
  frameBytes: Set<number>;
  correct: boolean;
}

interface Row {
  capacity: number;
  trailer: Trailer;
  state: State;
  frames: number;
  frameBytes: number;
  /** µs per step and percentile. */
  us: Record<Step, Record<Percentile, number>>;
  /** total p50 of this state ÷ total p50 when healthy (goal 0.95–1.05). */
  ratioVsHealthy: number;
  correct: boolean;
  hgrm: string;
}

function percentile(sorted: readonly number[], p: Percentile): number {
  if (p === 'max') return sorted[sorted.length - 1] as number;
  const q = p === 'p50' ? 0.5 : 0.99;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

export const snapshotScenario: Scenario = {
  name: 'snapshot',
  description:
    'snapshot frames: encode + decode + apply of a whole status table, 16,384 and 1,048,576 slots, all healthy vs all unhealthy, CRC32C and HMAC-SHA256',
  estimateSeconds: (quick) => (quick ? 2 : 6),
  async run(ctx): Promise<ScenarioResult> {
    const list = shapes(ctx.quick);
    const lanes = new Map<string, Lane>();
    const id = (shape: Shape, trailer: Trailer, state: State) => `${shape.key}-${trailer}-${state}`;
    for (const shape of list) {
      for (const trailer of TRAILERS) {
        for (const state of STATES) {
          const src = StatusTable.create(shape.capacity);
          src.fill(state === 'healthy' ? Status.HEALTHY : Status.UNHEALTHY);
          const key = trailer === 'hmac' ? KEY : undefined;
          lanes.set(id(shape, trailer, state), {
            encoder: new SnapshotEncoder({
              cell: 'bench',
              configVersion: 'bench-v1',
              epoch: 1,
              ...(key ? { key } : {}),
            }),
            src,
            dst: StatusTable.create(shape.capacity),
            expect: { cell: 'bench', capacity: shape.capacity, kind: 'status' },
            key,
            samples: { encode: [], decode: [], apply: [], total: [] },
            frameBytes: new Set(),
            correct: true,
          });
        }
      }
    }

    let sink = 0;
    const once = (lane: Lane, record: boolean): void => {
      const t0 = performance.now();
      const bytes = lane.encoder.encodeStatus(lane.src, 1_700_000_000_000);
      const t1 = performance.now();
      const frame = decodeSnapshot(bytes, lane.expect, lane.key);
      const t2 = performance.now();
      lane.dst.statuses.set(frame.payload);
      lane.dst.publish(frame.generatedAtMs);
      const t3 = performance.now();
      sink ^= frame.sequence ^ bytes.length;
      if (!record) return;
      lane.frameBytes.add(bytes.length);
      lane.samples.encode.push((t1 - t0) * 1e6);
      lane.samples.decode.push((t2 - t1) * 1e6);
      lane.samples.apply.push((t3 - t2) * 1e6);
      lane.samples.total.push((t3 - t0) * 1e6);
    };

    ctx.log('warm-up');
    for (const shape of list) {
      const warm = shape.capacity > 100_000 ? 5 : 100;
      for (const trailer of TRAILERS)
        for (const state of STATES)
          for (let i = 0; i < warm; i++) once(lanes.get(id(shape, trailer, state)) as Lane, false);
    }

    for (const shape of list) {
      const rounds = Math.ceil(shape.frames / shape.batch);
      ctx.log(
        `${shape.capacity.toLocaleString('en-US')} slots: ${rounds} rounds of ${shape.batch} frame(s) per state and trailer`,
      );
      for (let round = 0; round < rounds; round++) {
        for (const trailer of TRAILERS) {
          for (let k = 0; k < STATES.length; k++) {
            const lane = lanes.get(id(shape, trailer, STATES[(k + round) % STATES.length] as State)) as Lane;
            for (let i = 0; i < shape.batch; i++) once(lane, true);
          }
        }
      }
    }
    if (sink === 0.5) ctx.log('unreachable');

    const rows: Row[] = [];
    for (const shape of list) {
      for (const trailer of TRAILERS) {
        let healthyP50 = NaN;
        for (const state of STATES) {
          const lane = lanes.get(id(shape, trailer, state)) as Lane;
          lane.correct =
            Buffer.from(lane.dst.statuses).equals(Buffer.from(lane.src.statuses)) && lane.frameBytes.size === 1;
          const us = {} as Record<Step, Record<Percentile, number>>;
          for (const step of STEPS) {
            const sorted = [...lane.samples[step]].sort((a, b) => a - b);
            us[step] = { p50: 0, p99: 0, max: 0 };
            for (const p of PERCENTILES) us[step][p] = percentile(sorted, p) / 1000;
          }
          if (state === 'healthy') healthyP50 = us.total.p50;
          const histogram = hdr.build({
            lowestDiscernibleValue: 1,
            highestTrackableValue: 60_000_000_000,
            numberOfSignificantValueDigits: 3,
          });
          for (const ns of lane.samples.total) histogram.recordValue(Math.max(1, Math.round(ns)));
          const hgrm = ctx.writeFile(
            `snapshot/${shape.key}-${trailer}-${state}.hgrm`,
            histogram.outputPercentileDistribution(5, 1000),
          );
          histogram.destroy();
          rows.push({
            capacity: shape.capacity,
            trailer,
            state,
            frames: lane.samples.total.length,
            frameBytes: [...lane.frameBytes][0] as number,
            us,
            ratioVsHealthy: us.total.p50 / healthyP50,
            correct: lane.correct,
            hgrm,
          });
        }
      }
    }

    const row = (capacity: number, trailer: Trailer, state: State) =>
      rows.find((r) => r.capacity === capacity && r.trailer === trailer && r.state === state) as Row;
    const summary: Record<string, number | string | boolean> = {};
    for (const shape of list) {
      const h = row(shape.capacity, 'crc32c', 'healthy');
      const u = row(shape.capacity, 'crc32c', 'unhealthy');
      summary[`${shape.key}_frame_bytes`] = h.frameBytes;
      summary[`${shape.key}_frame_bytes_equal_across_states`] =
        h.frameBytes === u.frameBytes &&
        row(shape.capacity, 'hmac', 'healthy').frameBytes === row(shape.capacity, 'hmac', 'unhealthy').frameBytes;
      summary[`${shape.key}_encode_us_p50_healthy`] = round3(h.us.encode.p50);
      summary[`${shape.key}_decode_us_p50_healthy`] = round3(h.us.decode.p50);
      summary[`${shape.key}_apply_us_p50_healthy`] = round3(h.us.apply.p50);
      summary[`${shape.key}_total_us_p50_healthy`] = round3(h.us.total.p50);
      summary[`${shape.key}_total_us_p99_unhealthy`] = round3(u.us.total.p99);
      summary[`${shape.key}_ratio_unhealthy_vs_healthy`] = round4(u.ratioVsHealthy);
      summary[`${shape.key}_hmac_total_us_p50_healthy`] = round3(row(shape.capacity, 'hmac', 'healthy').us.total.p50);
      summary[`${shape.key}_hmac_ratio_unhealthy_vs_healthy`] = round4(
        row(shape.capacity, 'hmac', 'unhealthy').ratioVsHealthy,
      );
    }
    summary['goal_ratio_within_5pct_met'] = rows.every((r) => Math.abs(r.ratioVsHealthy - 1) <= 0.05);
    summary['all_frames_same_size_per_shape'] = list.every(
      (s) => summary[`${s.key}_frame_bytes_equal_across_states`] === true,
    );
    summary['all_tables_correct'] = rows.every((r) => r.correct);

    const table = markdownTable(
      [
        'slots',
        'trailer',
        'state',
        'frames',
        'bytes/frame',
        'encode µs p50',
        'decode µs p50',
        'apply µs p50',
        'total µs p50',
        'total µs p99',
        'total µs max',
        'p50 ÷ healthy',
        'table correct',
      ],
      rows.map((r) => [
        r.capacity.toLocaleString('en-US'),
        r.trailer,
        r.state,
        r.frames,
        r.frameBytes.toLocaleString('en-US'),
        fmt(r.us.encode.p50, 1),
        fmt(r.us.decode.p50, 1),
        fmt(r.us.apply.p50, 1),
        fmt(r.us.total.p50, 1),
        fmt(r.us.total.p99, 1),
        fmt(r.us.total.max, 1),
        fmt(r.ratioVsHealthy, 3),
        r.correct ? 'yes' : '**NO**',
      ]),
    );
    const markdown = [
      '### Snapshot frames (encode + decode + apply of a whole status table)',
      '',
      `One sample is one frame through SnapshotEncoder.encodeStatus, decodeSnapshot and the receiver's apply (memcpy into the StatusTable + publish), each step timed with performance.now(). States interleave in rounds (${list.map((s) => `${s.batch} frame(s) per state at ${s.capacity.toLocaleString('en-US')} slots`).join(', ')}), the first state rotating; percentiles by nearest rank over all samples. "p50 ÷ healthy" is the goal figure (0.95–1.05); bytes/frame must not differ between states. CRC32C is hand-written JS (slicing-by-16); HMAC-SHA256 is node:crypto. Histograms of the total: ${rows.map((r) => `\`${r.hgrm}\``).join(', ')}.`,
      '',
      table,
    ].join('\n');
    return { summary, markdown, details: { shapes: list, rows } };
  },
};

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
