import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { compileConfig } from '../src/config/compile.js';
import type { Plan } from '../src/config/plan.js';
import { AdminServer, json } from '../src/admin/admin-server.js';
import { addPage, hash32, type PageSource } from '../src/admin/page/index.js';

/** What the page benchmark's server thread is given. */
export interface PageServerInit {
  readonly capacity: number;
  readonly checks: number;
  readonly sets: number;
  /** The status bytes, shared: the benchmark flips them between states. */
  readonly statuses: SharedArrayBuffer;
}

/**
 * A cell of `capacity` slots with `checks` tcp checks spread evenly over the
 * slots and `sets` multivalue record sets of 8 answers each.
 */
export function pagePlan(capacity: number, checks: number, sets: number): Plan {
  const stride = Math.floor(capacity / checks);
  return compileConfig({
    cell: { name: 'pagebench', capacity },
    checks: Array.from({ length: checks }, (_, i) => ({
      id: `c${i}`,
      slot: i * stride,
      type: 'tcp',
      host: '127.0.0.1',
      port: 9,
    })),
    zones: [{ origin: 'p.test' }],
    records: Array.from({ length: sets }, (_, s) => ({
      name: `n${s}.p.test`,
      type: 'A',
      policy: 'multivalue',
      answers: Array.from({ length: 8 }, (_, k) => ({
        value: `127.1.${s % 256}.${k + 1}`,
        check: `c${(s * 8 + k) % checks}`,
      })),
    })),
  });
}

/**
 * The server thread: the real admin listener with the page's routes over a
 * table the main thread writes, plus /bench/elu (this thread's event-loop
 * utilisation so far: its busy time is the server's cost).
 */
export async function pageServerWorkerMain(): Promise<void> {
  const init = workerData as PageServerInit;
  const plan = pagePlan(init.capacity, init.checks, init.sets);
  const statuses = new Uint8Array(init.statuses);
  const changedAt = new Float64Array(init.capacity);
  const source: PageSource = {
    role: 'serve',
    plan: () => plan,
    statuses: () => statuses,
    header: () => ({
      TICKS: 1,
      TICK_MS: 1,
      LATENESS_P99_MS: 1,
      TABLE_AGE_SEC: 0.5,
      EPOCH: -1,
      PLAN_HASH: hash32(plan.version),
      CHANGES_TOTAL: 0,
    }),
    changedAtMs: () => changedAt,
    vantages: () => null,
  };
  const server = await AdminServer.start({ host: '127.0.0.1', port: 0 });
  addPage(server, source);
  server.route('/bench/elu', () => json(200, performance.eventLoopUtilization()));
  parentPort?.on('message', (m: unknown) => {
    if (m === 'stop') void server.stop().then(() => process.exit(0));
  });
  parentPort?.postMessage({ port: server.port });
}
