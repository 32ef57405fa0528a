import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cellConfig, get, sampleValue, startServe } from './support/admin.js';
import { requireBuilt, RoleProcess, writeAtomically } from './support/roles.js';

/**
 * `admin.checkSeries` caps the per-check /metrics series: with 3 checks and
 * a cap of 2 a scrape has only the counts; raised to 3 by a config pass, the
 * next scrape has a series per check. A bad value is refused in one line
 * naming the field.
 */
const hosts = ['127.0.45.1', '127.0.45.2', '127.0.45.3'];
let cfg: { dir: string; file: string; text: string };
let serve: { proc: RoleProcess; admin: string; dnsPort: number };

beforeAll(async () => {
  requireBuilt();
  cfg = cellConfig('series', hosts, 9, ['admin: { checkSeries: 2 }']);
  serve = await startServe('serve', cfg.file, ['--config-interval', '3600']);
}, 30_000);

afterAll(async () => {
  await serve?.proc.stop();
  if (cfg !== undefined) rmSync(cfg.dir, { recursive: true, force: true });
});

describe('admin.checkSeries', () => {
  it('leaves the per-check series out above the cap, and a config pass moves the cap', async () => {
    let body = (await get(`${serve.admin}/metrics`)).body;
    expect(sampleValue(body, 'urnd_check_series_limit')).toBe(2);
    expect(body).not.toMatch(/^urnd_check_status\{/m);
    expect(body).toMatch(/^urnd_checks\{status="unknown"\} \d+$/m);

    writeAtomically(cfg.file, cfg.text.replace('checkSeries: 2', 'checkSeries: 3'));
    serve.proc.child.kill('SIGHUP');
    const t0 = Date.now();
    while (sampleValue(body, 'urnd_check_series_limit') !== 3) {
      if (Date.now() - t0 > 5000) throw new Error('admin.checkSeries 3 never applied');
      await new Promise((r) => setTimeout(r, 50));
      body = (await get(`${serve.admin}/metrics`)).body;
    }
    expect(body.match(/^urnd_check_status\{/gm)?.length).toBe(3);
  });

  it('refuses a negative cap in one line naming the field', async () => {
    const bad = path.join(cfg.dir, 'bad.yaml');
    writeFileSync(bad, cfg.text.replace('checkSeries: 2', 'checkSeries: -1'));
    const p = new RoleProcess('validate', ['validate', '-c', bad]);
    expect(await p.exited).not.toBe(0);
    const said = `${p.lines.join('\n')}\n${p.stderr}`;
    expect(said).toMatch(/admin\.checkSeries/);
    expect(said).toMatch(/-1/);
    expect(said).not.toMatch(/\n\s+at /);
  });
});
