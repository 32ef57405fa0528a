import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminServer } from '../src/admin/admin-server.js';
import {
  addPage,
  AnswerBit,
  hash32,
  TABLE_HEADER_BYTES,
  TableField,
  type PageSource,
} from '../src/admin/page/index.js';
import { explain } from '../src/resolve/explain.js';
import { Status, STATUS_NAMES } from '../src/table/layout.js';
import { pagePlan } from '../bench/page-server.js';

/**
 * The page's per-second requests over a real listener: /table and
 * /page/answers are the same size whatever the table says, /table carries
 * the status bytes as they are behind its named header, each answer's byte
 * says what explain says, and a bad slot is a 400 naming it.
 */
const plan = pagePlan(4096, 64, 8);
const statuses = new Uint8Array(plan.cell.capacity);
let server: AdminServer;
let base: string;

beforeAll(async () => {
  const source: PageSource = {
    role: 'serve',
    plan: () => plan,
    statuses: () => statuses,
    header: () => ({
      TICKS: 7,
      TICK_MS: 0.5,
      LATENESS_P99_MS: 2,
      TABLE_AGE_SEC: 0.25,
      EPOCH: -1,
      PLAN_HASH: hash32(plan.version),
      CHANGES_TOTAL: 3,
    }),
    changedAtMs: () => null,
    vantages: () => null,
  };
  server = await AdminServer.start({ host: '127.0.0.1', port: 0 });
  addPage(server, source);
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
});

async function bytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(base + path)).arrayBuffer());
}

describe('the page endpoints', () => {
  it('answer the same sizes in every state, with the table and explain as they are', async () => {
    const sizes = new Set<string>();
    for (const fill of ['unknown', 'healthy', 'unhealthy', 'mixed'] as const) {
      if (fill === 'mixed') for (let s = 0; s < statuses.length; s++) statuses[s] = (s * 7) % 3;
      else statuses.fill(fill === 'unknown' ? Status.UNKNOWN : fill === 'healthy' ? Status.HEALTHY : Status.UNHEALTHY);
      const table = await bytes('/table');
      const answers = await bytes('/page/answers');
      sizes.add(`${table.length}/${answers.length}`);
      const head = new Float64Array(table.slice(0, TABLE_HEADER_BYTES).buffer);
      expect(head[TableField.CAPACITY]).toBe(plan.cell.capacity);
      expect(head[TableField.PLAN_HASH]).toBe(hash32(plan.version));
      expect(head[TableField.TICKS]).toBe(7);
      expect(Buffer.from(table.subarray(TABLE_HEADER_BYTES)).equals(Buffer.from(statuses))).toBe(true);
      for (let s = 0; s < plan.setCount; s++) {
        const e = explain(plan, statuses, plan.setName[s] as string).recordSets[0];
        e?.candidates.forEach((c, k) => {
          const b = answers[(plan.setFirst[s] as number) + k] as number;
          expect((b & AnswerBit.ELIGIBLE) === AnswerBit.ELIGIBLE).toBe(c.eligible);
          expect((b & AnswerBit.HEALTHY) === AnswerBit.HEALTHY).toBe(c.healthy);
          expect(STATUS_NAMES[b >> AnswerBit.STATUS_SHIFT]).toBe(c.status);
        });
      }
    }
    expect([...sizes]).toEqual([`${TABLE_HEADER_BYTES + plan.cell.capacity}/${plan.answerCount}`]);
  });

  it('answers a bad slot with a 400 naming it', async () => {
    for (const q of ['', '?slot=abc', '?slot=-1', `?slot=${plan.cell.capacity}`]) {
      const r = await fetch(`${base}/page/check${q}`);
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/^page\/check: slot "[^"]*" is not an integer in 0\.\.4095/);
    }
    const ok = (await (await fetch(`${base}/page/check?slot=0`)).json()) as {
      id: string;
      target: string;
      recordSets: string[];
    };
    expect(ok.id).toBe('c0');
    expect(ok.target).toBe('tcp 127.0.0.1:9');
    expect(ok.recordSets).toContain('n0.p.test A');
  });
});
