import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { FramePublisher } from '../src/snapshot/push.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { RoleProcess, freePort, requireBuilt, resolve4 } from './support/roles.js';
import { get, hasBinary, sampleValue } from './support/admin.js';

/**
 * `urnd dns --admin`: /readyz says 503 before its first good status frame,
 * 200 while frames arrive, and 503 again once its table is older than 5
 * ticks — while DNS keeps answering from that last good table (static
 * stability: not ready is a hint to load balancers, not a stop). The test is
 * the aggregator: a SnapshotEncoder and FramePublisher pushing every 200 ms.
 */
const A = '127.0.44.1';
let dir: string;
let dns: RoleProcess;
let admin: string;
let dnsPort: number;
let publisher: FramePublisher | null = null;
let pushTimer: NodeJS.Timeout | null = null;
const table = StatusTable.create(64);
const encoder = new SnapshotEncoder({ cell: 'ready', configVersion: 'test' });

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-ready-'));
  const framesPort = await freePort();
  const config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: ready, capacity: 64 }',
      'aggregator: { tick: 200ms }',
      `dns: { framesListen: 127.0.0.1:${framesPort} }`,
      'checks:',
      `  - { id: a, slot: 0, type: tcp, host: ${A}, port: 9 }`,
      'zones: [{ origin: ready.test }]',
      'records:',
      `  - { name: www.ready.test, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }] }`,
    ].join('\n'),
  );
  dns = new RoleProcess('dns', ['dns', '--config', config, '--dns-listen', '127.0.0.1:0', '--admin', '127.0.0.1:0']);
  dnsPort = Number((await dns.waitForLine(/^urnd dns: DNS on 127\.0\.0\.1:(\d+)/, 15_000))[1]);
  admin = (await dns.waitForLine(/admin on (http:\/\/[\d.:]+)/, 15_000))[1] as string;
  table.set(0, Status.HEALTHY);
  publisher = new FramePublisher([{ host: '127.0.0.1', port: framesPort }]);
}, 30_000);

afterAll(async () => {
  if (pushTimer !== null) clearInterval(pushTimer);
  publisher?.close();
  await dns?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
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

    const p = publisher as FramePublisher;
    let lastPush = 0;
    pushTimer = setInterval(() => {
      p.publish(encoder.encodeStatus(table));
      lastPush = Date.now();
    }, 200);
    await until('ready', 10_000, async () => (await readyz()).status === 200);
    const m = (await get(`${admin}/metrics`)).body;
    expect(sampleValue(m, 'urnd_table_age_seconds')).toBeLessThan(1);
    expect(sampleValue(m, 'urnd_check_status{check="a",slot="0"}')).toBe(1);
    expect(sampleValue(m, 'urnd_frames_applied_total{kind="status"}')).toBeGreaterThan(0);
    if (hasBinary('promtool')) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: m, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
    }

    clearInterval(pushTimer);
    pushTimer = null;
    await until('not ready after frames stop', 10_000, async () => (await readyz()).status === 503);
    // 5 ticks of 200 ms: not before about a second has passed since the last frame went out.
    expect(Date.now() - lastPush).toBeGreaterThanOrEqual(900);
    expect((await readyz()).body).toMatch(/still answering from it/);
    expect(await resolve4(dnsPort, 'www.ready.test')).toEqual([A]);
    expect((await get(`${admin}/healthz`)).status).toBe(200);
  });
});
