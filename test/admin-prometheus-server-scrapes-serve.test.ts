import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Targets } from './support/targets.js';
import { freePort, requireBuilt, type RoleProcess } from './support/roles.js';
import { cellConfig, get, hasBinary, startServe } from './support/admin.js';

/**
 * A real Prometheus server (loopback, temp dir, 1 s scrape interval)
 * scraping a running `urnd serve`: its HTTP API lists urnd_ series, and a
 * target going down shows up there as the check's status turning 2.
 */
const hosts = ['127.0.43.1', '127.0.43.2'];
const haveProm = hasBinary('prometheus');
let targets: Targets;
let dir: string;
let serve: { proc: RoleProcess; admin: string; dnsPort: number };
let prom: ChildProcess | null = null;
let promUrl = '';
let promLog = '';

beforeAll(async () => {
  if (!haveProm) return;
  requireBuilt();
  targets = await Targets.start(hosts);
  const cfg = cellConfig('promtest', hosts, targets.port);
  dir = cfg.dir;
  serve = await startServe('serve', cfg.file);
  const promPort = await freePort('127.0.0.1');
  promUrl = `http://127.0.0.1:${promPort}`;
  const promConfig = path.join(dir, 'prometheus.yml');
  writeFileSync(
    promConfig,
    [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: urnd',
      '    static_configs:',
      `      - targets: ['${serve.admin.replace('http://', '')}']`,
    ].join('\n'),
  );
  prom = spawn(
    'prometheus',
    [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prom.stderr?.setEncoding('utf8');
  prom.stderr?.on('data', (c: string) => (promLog += c));
  await until(
    async () => (await get(`${promUrl}/-/ready`).catch(() => ({ status: 0 }))).status === 200,
    20_000,
    'prometheus ready',
  );
}, 45_000);

afterAll(async () => {
  if (prom !== null && prom.exitCode === null) {
    const p = prom;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
  await serve?.proc.stop();
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${promLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The value of an instant query with one result, or null. */
async function instant(query: string): Promise<number | null> {
  const r = await get(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const j = JSON.parse(r.body) as { data?: { result?: { value: [number, string] }[] } };
  const v = j.data?.result?.[0]?.value[1];
  return v === undefined ? null : Number(v);
}

describe.skipIf(!haveProm)('a real Prometheus server scraping urnd serve', () => {
  it('sees urnd_ series and a target going down', async () => {
    await until(async () => (await instant('up{job="urnd"}')) === 1, 20_000, 'the urnd target up');
    const names = JSON.parse((await get(`${promUrl}/api/v1/label/__name__/values`)).body) as { data: string[] };
    for (const n of [
      'urnd_checks',
      'urnd_check_status',
      'urnd_probes_started_total',
      'urnd_probe_start_lateness_seconds_bucket',
      'urnd_config_info',
      'urnd_dns_queries_total',
    ]) {
      expect(names.data).toContain(n);
    }
    await until(async () => (await instant('urnd_check_status{check="t1"}')) === 1, 20_000, 't1 healthy in Prometheus');
    await targets.down('127.0.43.2');
    await until(
      async () => (await instant('urnd_check_status{check="t1"}')) === 2,
      20_000,
      't1 unhealthy in Prometheus',
    );
    expect(await instant('urnd_checks{status="unhealthy"}')).toBe(1);
  }, 60_000);
});
if (!haveProm) {
  describe('a real Prometheus server scraping urnd serve', () => {
    it('prometheus is not installed (apt-get install prometheus): skipped', () => {
      console.warn('prometheus not found: the real-server scrape test did not run');
    });
  });
}
