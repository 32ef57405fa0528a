import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Status } from '../src/table/layout.js';
import { requireBuilt, resolve4 } from './support/roles.js';
import { FedDns } from './support/fed-dns.js';
import { get, hasBinary, sampleValue } from './support/admin.js';

/**
 * `urnd dns --admin`: /readyz says 503 before its first good status frame,
 * 200 while frames arrive, and 503 again once its table is older than 5
 * ticks — while DNS keeps answering from that last good table (static
 * stability: not ready is a hint to load balancers, not a stop). The test is
 * the aggregator: a SnapshotEncoder and FramePublisher pushing every 200 ms.
 */
const A = '127.0.44.1';
let cell: FedDns;
let admin: string;

beforeAll(async () => {
  requireBuilt();
  cell = await FedDns.start(
    'ready',
    64,
    [`  - { id: a, slot: 0, type: tcp, host: ${A}, port: 9 }`],
    [`  - { name: www.ready.test, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }] }`],
  );
  admin = cell.admin;
  cell.table.set(0, Status.HEALTHY);
}, 30_000);

afterAll(async () => {
  await cell?.stop();
});

async function readyz(): Promise<{ status: number; body: string }> {
  return get(`${admin}/readyz`);
}

async function until(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('urnd dns /readyz', () => {
  it('is 503 before the first frame, 200 while frames come, 503 once the table is 5 ticks old, answering throughout', async () => {
    const before = await readyz();
    expect(before.status).toBe(503);
    expect(before.body).toMatch(/no good status frame yet/);

    cell.startPushing(200);
    await until('ready', 10_000, async () => (await readyz()).status === 200);
    const m = (await get(`${admin}/metrics`)).body;
    expect(sampleValue(m, 'urnd_table_age_seconds')).toBeLessThan(1);
    expect(sampleValue(m, 'urnd_check_status{check="a",slot="0"}')).toBe(1);
    expect(sampleValue(m, 'urnd_frames_applied_total{kind="status"}')).toBeGreaterThan(0);
    if (hasBinary('promtool')) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: m, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
    }

    cell.stopPushing();
    await until('not ready after frames stop', 10_000, async () => (await readyz()).status === 503);
    // 5 ticks of 200 ms: not before about a second has passed since the last frame went out.
    expect(Date.now() - cell.lastPushAtMs).toBeGreaterThanOrEqual(900);
    expect((await readyz()).body).toMatch(/still answering from it/);
    expect(await resolve4(cell.dnsPort, 'www.ready.test')).toEqual([A]);
    expect((await get(`${admin}/healthz`)).status).toBe(200);
  });
});
