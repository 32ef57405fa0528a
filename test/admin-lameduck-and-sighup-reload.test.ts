import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Targets } from './support/targets.js';
import { requireBuilt, resolve4, waitForAnswers, writeAtomically, type RoleProcess } from './support/roles.js';
import { cellConfig, get, startServe } from './support/admin.js';

/**
 * Signals of a real `urnd serve`: SIGHUP applies an edited document at once
 * (the config interval is an hour, so only the signal can have done it) and
 * the process keeps running; SIGTERM with --lameduck turns /readyz 503 at
 * once while DNS keeps answering, and the process stops by itself after.
 */
const hosts = ['127.0.42.1', '127.0.42.2'];
let targets: Targets;
let dir: string;
let serve: { proc: RoleProcess; admin: string; dnsPort: number };
let cfg: { dir: string; file: string; text: string };

beforeAll(async () => {
  requireBuilt();
  targets = await Targets.start(hosts);
  cfg = cellConfig('lameduck', hosts, targets.port);
  dir = cfg.dir;
  serve = await startServe('serve', cfg.file, ['--config-interval', '3600', '--lameduck', '3']);
}, 30_000);

afterAll(async () => {
  await serve?.proc.stop();
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('serve signals', () => {
  it('SIGHUP runs a config pass at once and keeps serving', async () => {
    expect(await resolve4(serve.dnsPort, 'extra.lameduck.test')).toBe('NXDOMAIN');
    writeAtomically(
      cfg.file,
      `${cfg.text}\n  - { name: extra.lameduck.test, type: A, answers: [{ value: 192.0.2.7 }] }\n`,
    );
    serve.proc.kill('SIGHUP');
    await serve.proc.waitForLine(/SIGHUP, config pass now/, 5000);
    await waitForAnswers([serve.dnsPort], 'extra.lameduck.test', ['192.0.2.7'], 5000);
    expect(serve.proc.child.exitCode).toBeNull();
    const status = JSON.parse((await get(`${serve.admin}/status`)).body) as { config: { passes: number } };
    expect(status.config.passes).toBeGreaterThanOrEqual(2);
  });

  it('SIGTERM: /readyz 503 at once, DNS still answering, then the process stops', async () => {
    await waitForAnswers([serve.dnsPort], 'pool.lameduck.test', [...hosts].sort(), 15_000);
    expect((await get(`${serve.admin}/readyz`)).status).toBe(200);
    const from = serve.proc.lines.length;
    const t0 = Date.now();
    serve.proc.kill('SIGTERM');
    await serve.proc.waitForLine(/SIGTERM, lameduck for 3 s/, 5000, from);
    const ready = await get(`${serve.admin}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/lameduck/);
    // Still alive and answering from the same table during lameduck.
    expect(await resolve4(serve.dnsPort, 'pool.lameduck.test')).toEqual([...hosts].sort());
    expect((await get(`${serve.admin}/healthz`)).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3000);
    const code = await serve.proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(serve.proc.lines.some((l) => /lameduck of 3 s over, shutting down/.test(l))).toBe(true);
  });
});
