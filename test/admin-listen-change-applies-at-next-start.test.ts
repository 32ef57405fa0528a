import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { cellConfig, get } from './support/admin.js';
import { requireBuilt, RoleProcess, writeAtomically } from './support/roles.js';

/**
 * The admin listener binds once, at start. A config pass whose document
 * moves `admin.listen` says so in one line (once, not on every pass) and
 * the listener keeps answering where it is.
 */
let proc: RoleProcess;
let cfg: { dir: string; file: string; text: string };

beforeAll(() => {
  requireBuilt();
  cfg = cellConfig('adminmove', ['127.0.43.1'], 9, ['admin: { listen: "127.0.0.1:0" }']);
  proc = new RoleProcess('serve', [
    'serve',
    '-c',
    cfg.file,
    '--dns-listen',
    '127.0.0.1:0',
    '--config-interval',
    '3600',
  ]);
});

afterAll(async () => {
  await proc?.stop();
  if (cfg !== undefined) rmSync(cfg.dir, { recursive: true, force: true });
});

async function passes(admin: string): Promise<number> {
  return (JSON.parse((await get(`${admin}/status`)).body) as { config: { passes: number } }).config.passes;
}

it('a changed admin.listen is reported once and the listener stays where it is', async () => {
  const admin = (await proc.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000))[1] as string;
  writeAtomically(cfg.file, cfg.text.replace('127.0.0.1:0', '127.0.0.1:9539'));
  proc.child.kill('SIGHUP');
  await proc.waitForLine(/urnd serve: admin\.listen "127\.0\.0\.1:9539" applies at the next start/, 5000);
  expect((await get(`${admin}/healthz`)).status).toBe(200);
  // Two more passes of the same document: nothing new to say.
  const before = await passes(admin);
  proc.child.kill('SIGHUP');
  proc.child.kill('SIGHUP');
  const t0 = Date.now();
  while ((await passes(admin)) < before + 1) {
    if (Date.now() - t0 > 5000) throw new Error('no config pass after SIGHUP');
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(proc.lines.filter((l) => l.includes('admin.listen')).length).toBe(1);
});
