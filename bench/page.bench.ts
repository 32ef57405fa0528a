import { Worker } from 'node:worker_threads';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';
import type { PageServerInit } from './page-server.js';
import { Status } from '../src/table/layout.js';

/**
 * The live page's server side: what one open page costs the admin listener
 * each second — GET /table (header + status bytes) and GET /page/answers
 * (each answer in or out, by explain of every record set) — at 16,384 and 1,048,576 slots, with every
 * slot healthy vs every slot unhealthy. The listener runs on a worker
 * thread of its own; its cost is that thread's busy time (event-loop
 * utilisation), read before and after each batch of page-seconds. The
 * client (fetch, on the main thread) reads every body whole. Batches of
 * the two states interleave so drift hits both alike. Goal: bytes equal
 * across states, busy time unhealthy ÷ healthy near 1.
 */

const STATES = ['healthy', 'unhealthy'] as const;
type State = (typeof STATES)[number];

interface Shape {
  readonly capacity: number;
  readonly key: string;
  readonly checks: number;
  readonly sets: number;
  readonly batches: number;
  readonly perBatch: number;
}

function shapes(quick: boolean): Shape[] {
  return [
    { capacity: 16_384, key: 'c16k', checks: 1024, sets: 64, batches: quick ? 6 : 20, perBatch: 10 },
    { capacity: 1_048_576, key: 'c1m', checks: 1024, sets: 64, batches: quick ? 4 : 12, perBatch: 5 },
  ];
}

interface Row {
  capacity: number;
  state: State;
  pageSeconds: number;
  tableBytes: number;
  answersBytes: number;
  /** Server busy ms per page-second, per batch. */
  busyMs: number[];
  bytesConstant: boolean;
}

async function elu(base: string): Promise<number> {
  const r = (await (await fetch(`${base}/bench/elu`)).json()) as { active: number };
  return r.active;
}

async function runShape(s: Shape): Promise<Row[]> {
  const sab = new SharedArrayBuffer(s.capacity);
  const statuses = new Uint8Array(sab);
  const init: PageServerInit = { capacity: s.capacity, checks: s.checks, sets: s.sets, statuses: sab };
  const worker = new Worker(new URL('./workers/page-server-worker.js', import.meta.url), { workerData: init });
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const base = `http://127.0.0.1:${port}`;
    const rows = new Map<State, Row>(
      STATES.map((st) => [
        st,
        {
          capacity: s.capacity,
          state: st,
          pageSeconds: 0,
          tableBytes: -1,
          answersBytes: -1,
          busyMs: [],
          bytesConstant: true,
        },
      ]),
    );
    const sizes = new Map<State, Set<string>>(STATES.map((st) => [st, new Set()]));
    // One warm-up batch per state, not kept: JIT and the first response buffers.
    for (let b = -1; b < s.batches; b++) {
      for (let k = 0; k < STATES.length; k++) {
        const state = STATES[(b + 1 + k) % STATES.length] as State;
        statuses.fill(state === 'healthy' ? Status.HEALTHY : Status.UNHEALTHY);
        const row = rows.get(state) as Row;
        const before = await elu(base);
        for (let i = 0; i < s.perBatch; i++) {
          const [table, records] = await Promise.all([
            fetch(`${base}/table`).then((r) => r.arrayBuffer()),
            fetch(`${base}/page/answers`).then((r) => r.arrayBuffer()),
          ]);
          if (b >= 0) {
            row.tableBytes = table.byteLength;
            row.answersBytes = records.byteLength;
            sizes.get(state)?.add(`${table.byteLength}/${records.byteLength}`);
          }
        }
        const after = await elu(base);
        if (b >= 0) {
          row.busyMs.push((after - before) / s.perBatch);
          row.pageSeconds += s.perBatch;
        }
      }
    }
    for (const st of STATES) (rows.get(st) as Row).bytesConstant = (sizes.get(st)?.size ?? 0) === 1;
    return [...rows.values()];
  } finally {
    worker.postMessage('stop');
    await new Promise<void>((r) => worker.once('exit', () => r()));
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
}

export const pageScenario: Scenario = {
  name: 'page',
  description:
    'live page, server side: bytes and busy ms per page-second at 16k and 1M slots, all healthy vs all unhealthy',
  estimateSeconds: (quick) => (quick ? 10 : 30),
  async run(ctx): Promise<ScenarioResult> {
    const all: Row[] = [];
    const summary: Record<string, number | boolean> = {};
    for (const s of shapes(ctx.quick)) {
      ctx.log(`page: ${s.capacity} slots`);
      const rows = await runShape(s);
      all.push(...rows);
      const h = rows.find((r) => r.state === 'healthy') as Row;
      const u = rows.find((r) => r.state === 'unhealthy') as Row;
      summary[`${s.key}_bytes_per_second_healthy`] = h.tableBytes + h.answersBytes;
      summary[`${s.key}_bytes_per_second_unhealthy`] = u.tableBytes + u.answersBytes;
      summary[`${s.key}_table_bytes_equal`] = h.tableBytes === u.tableBytes && h.bytesConstant && u.bytesConstant;
      summary[`${s.key}_busy_ms_p50_healthy`] = median(h.busyMs);
      summary[`${s.key}_busy_ms_p50_unhealthy`] = median(u.busyMs);
      summary[`${s.key}_busy_ratio_unhealthy_vs_healthy`] = median(u.busyMs) / median(h.busyMs);
    }
    const table = markdownTable(
      [
        'slots',
        'state',
        'page-seconds',
        '/table bytes',
        '/page/answers bytes',
        'server busy ms / page-second p50',
        'max',
        'p50 ÷ healthy p50',
      ],
      all.map((r) => {
        const healthy = all.find((x) => x.capacity === r.capacity && x.state === 'healthy') as Row;
        return [
          r.capacity.toLocaleString('en-US'),
          r.state,
          r.pageSeconds,
          r.tableBytes,
          `${r.answersBytes}${r.bytesConstant ? '' : ' (varied)'}`,
          fmt(median(r.busyMs)),
          fmt(Math.max(...r.busyMs)),
          fmt(median(r.busyMs) / median(healthy.busyMs), 2),
        ];
      }),
    );
    const markdown = [
      '### Live page: what one open page costs the admin listener',
      '',
      'What one open live page costs the admin listener each second (GET /table + GET /page/answers), 1,024 checks and 64 record sets of 8 answers, listener on a thread of its own, busy time from its event-loop utilisation. Both responses are the same size in every state.',
      '',
      table,
    ].join('\n');
    return { summary, markdown, details: all };
  },
};
