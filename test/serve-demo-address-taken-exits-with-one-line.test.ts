import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RoleProcess, freePort, requireBuilt } from './support/roles.js';

/**
 * `urnd serve --demo` when a demo target's address is already taken: one
 * line on stderr naming the address and why, exit 1, promptly (long before
 * --duration), having started no cell and left nothing listening on the
 * demo addresses it could bind.
 */
const HOSTS = ['127.0.7.1', '127.0.7.2', '127.0.7.3'];
let dir: string;
let config: string;
let port: number;
let squatter: net.Server;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-demo-taken-'));
  port = await freePort(HOSTS[0]);
  // Someone else holds the second target's address.
  squatter = net.createServer();
  await new Promise<void>((resolve, reject) => {
    squatter.once('error', reject);
    squatter.listen(port, HOSTS[1], () => resolve());
  });
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: demotaken, capacity: 16 }',
      'checks:',
      ...HOSTS.map(
        (h, i) => `  - { id: t${i}, slot: ${i}, type: http, host: ${h}, port: ${port}, interval: 1s, timeout: 500ms }`,
      ),
      'zones: [{ origin: taken.test }]',
      'records: []',
    ].join('\n'),
  );
});

afterAll(async () => {
  await new Promise<void>((r) => squatter?.close(() => r()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function canBind(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

describe('serve --demo with a demo address taken', () => {
  it('names the address, exits 1 at once, and leaves nothing listening', async () => {
    const t0 = Date.now();
    const p = new RoleProcess('serve', [
      'serve',
      '--demo',
      '--no-dns',
      '--admin',
      'off',
      '--duration',
      '60',
      '--config',
      config,
    ]);
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    const code = await p.exited;
    clearTimeout(timer);
    const tookMs = Date.now() - t0;
    const lines = p.stderr.trim().split('\n');
    console.log(`exit ${String(code)} after ${tookMs} ms: ${p.stderr.trim()}`);
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${HOSTS[1]}:${port}`);
    expect(lines[0]).toMatch(/in use/);
    expect(lines[0]).toContain('URND_ERR_DEMO_LISTEN');
    expect(p.stderr).not.toMatch(/\n\s+at /);
    // Exited on its own, long before --duration (60 s) or the kill above.
    expect(tookMs).toBeLessThan(15_000);
    // The demo targets it did bind are closed again.
    expect(await canBind(HOSTS[0] as string)).toBe(true);
    expect(await canBind(HOSTS[2] as string)).toBe(true);
    expect(p.lines.some((l) => l.startsWith('urnd serve: cell'))).toBe(false);
  });
});
