import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { get, hasBinary, sampleValue, startServe } from './support/admin.js';
import { RoleProcess, freePort, requireBuilt } from './support/roles.js';

/**
 * The last failure reason of each check travels from the checker threads
 * (the probe's verdict) through the observation table — and, with separate
 * roles, the pushed observation vector — to the aggregator, and shows in
 * /status (`lastFailureReason`), /metrics (`urnd_check_last_failure_info`,
 * promtool-clean) and `urnd status`. Real sockets: a port nobody listens on
 * (refused), a listener that accepts and never answers (timeout), an HTTP
 * 500, a body without the match, and a healthy target (no reason).
 */
const HANG = '127.0.43.1';
const ERR500 = '127.0.43.2';
const BODY = '127.0.43.3';
const OK = '127.0.43.4';
const WANT: Record<string, string | null> = {
  refused: 'refused',
  hang: 'timeout',
  err500: 'status 500',
  body: 'body',
  ok: null,
};

const servers: net.Server[] = [];
const held: net.Socket[] = [];
let dir: string;
let configFile: string;
const procs: RoleProcess[] = [];
const promtool = hasBinary('promtool');

function listen(server: net.Server, host: string): Promise<number> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function config(name: string, ports: Record<string, number>, extra: readonly string[]): string {
  const check = (id: string, slot: number, rest: string) =>
    `  - { id: ${id}, slot: ${slot}, ${rest}, interval: 1s, timeout: 300ms, failureThreshold: 1 }`;
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `cell: { name: ${name}, capacity: 64 }`,
      ...extra,
      'checks:',
      check('refused', 0, `type: tcp, host: 127.0.0.1, port: ${ports['refused']}`),
      check('hang', 1, `type: http, host: ${HANG}, port: ${ports['hang']}`),
      check('err500', 2, `type: http, host: ${ERR500}, port: ${ports['err500']}`),
      check('body', 3, `type: http, host: ${BODY}, port: ${ports['body']}, bodyMatch: '"ok":true'`),
      check('ok', 4, `type: http, host: ${OK}, port: ${ports['ok']}, bodyMatch: '"ok":true'`),
      `zones: [{ origin: ${name}.test }]`,
      'records:',
      `  - name: www.${name}.test`,
      '    type: A',
      '    policy: multivalue',
      `    answers: [{ value: ${OK}, check: ok }]`,
    ].join('\n'),
  );
  return file;
}

let ports: Record<string, number>;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-reasons-'));
  ports = {
    // Nothing listens there: the connection is refused.
    refused: await freePort(),
    // Accepts and never answers: the probe's deadline passes.
    hang: await listen(
      net.createServer((s) => held.push(s)),
      HANG,
    ),
    err500: await listen(
      http.createServer((_q, r) => {
        r.statusCode = 500;
        r.end('boom');
      }),
      ERR500,
    ),
    body: await listen(
      http.createServer((_q, r) => r.end('{"ok":false}')),
      BODY,
    ),
    ok: await listen(
      http.createServer((_q, r) => r.end('{"ok":true}')),
      OK,
    ),
  };
  configFile = config('reasons', ports, []);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const s of held) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface StatusDoc {
  checks: { id: string; status: string; lastFailureReason: string | null }[];
}

/** Polls /status until every check shows the reason it should (or 15 s pass). */
async function reasonsOf(admin: string): Promise<Record<string, string | null>> {
  const t0 = Date.now();
  let seen: Record<string, string | null> = {};
  while (Date.now() - t0 < 15_000) {
    const r = await get(`${admin}/status`);
    if (r.status === 200) {
      const doc = JSON.parse(r.body) as StatusDoc;
      seen = Object.fromEntries(doc.checks.map((c) => [c.id, c.lastFailureReason]));
      if (JSON.stringify(seen) === JSON.stringify(WANT)) return seen;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return seen;
}

function checkMetrics(body: string): void {
  const lines = body.split('\n').filter((l) => l.startsWith('urnd_check_last_failure_info{'));
  expect(lines).toEqual([
    'urnd_check_last_failure_info{check="refused",slot="0",reason="refused",http_status=""} 1',
    'urnd_check_last_failure_info{check="hang",slot="1",reason="timeout",http_status=""} 1',
    'urnd_check_last_failure_info{check="err500",slot="2",reason="status",http_status="500"} 1',
    'urnd_check_last_failure_info{check="body",slot="3",reason="body",http_status=""} 1',
    'urnd_check_last_failure_info{check="ok",slot="4",reason="none",http_status=""} 1',
  ]);
  if (promtool) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  } else console.warn('promtool not found: /metrics was not validated by promtool');
}

describe('last failure reason per check', () => {
  it('urnd serve: refused, timeout, status 500 and body mismatch in /status, /metrics and urnd status', async () => {
    const serve = await startServe('serve', configFile);
    procs.push(serve.proc);
    expect(await reasonsOf(serve.admin)).toEqual(WANT);
    const body = (await get(`${serve.admin}/metrics`)).body;
    checkMetrics(body);
    // The checker threads count failed probes by reason too.
    for (const r of ['refused', 'timeout', 'status', 'body'])
      expect(sampleValue(body, `urnd_probe_failures_total{reason="${r}"}`)).toBeGreaterThan(0);
    for (const r of ['reset', 'tls', 'error'])
      expect(sampleValue(body, `urnd_probe_failures_total{reason="${r}"}`)).toBe(0);
    const slot = JSON.parse((await get(`${serve.admin}/page/check?slot=2`)).body) as { lastFailureReason: unknown };
    expect(slot.lastFailureReason).toBe('status 500');

    const host = serve.admin.replace(/^http:\/\//, '');
    const cli = new RoleProcess('urnd status', ['status', '--admin', host]);
    expect(await cli.exited).toBe(0);
    const text = cli.lines.join('\n');
    expect(text).toMatch(/^ {4}err500 .* unhealthy .*last failure status 500/m);
    expect(text).toMatch(/^ {4}hang .* unhealthy .*last failure timeout/m);
    expect(text).toMatch(/^ {4}refused .* unhealthy .*last failure refused/m);
    expect(text).toMatch(/^ {4}body .* unhealthy .*last failure body/m);
  }, 40_000);

  it('urnd checker → urnd aggregator: the reasons ride the pushed observation vector', async () => {
    const agg = await freePort();
    const file = config('reasons2', ports, [
      'aggregator:',
      `  listen: 127.0.0.1:${agg}`,
      '  tick: 250ms',
      '  vantages: 1',
      '  subscribers: []',
      '  warmup: 2s',
    ]);
    const checker = new RoleProcess('checker', ['checker', '--vantage', '0', '--config', file]);
    const aggregator = new RoleProcess('aggregator', ['aggregator', '--config', file, '--admin', '127.0.0.1:0']);
    procs.push(checker, aggregator);
    const admin = (await aggregator.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000))[1] as string;
    expect(await reasonsOf(admin)).toEqual(WANT);
    checkMetrics((await get(`${admin}/metrics`)).body);
  }, 40_000);
});
