import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What a new user trying the README's commands meets when something is
 * wrong: one line on stderr naming the option or address and the value,
 * exit 1, no stack, no hang. A negative number given as a separate
 * argument (`--tick-ms -5`) reaches the option's own check rather than
 * parseArgs' three-line "ambiguous" message; a frames port in use names
 * the address and the setting that chose it; a config URL that cannot be
 * fetched says why, not just "fetch failed".
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function urnd(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Bounded: a command that hangs instead of failing is killed and fails the test.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

let dir: string;
let config: string;
let squat: net.Server;
let squatPort: number;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-bad-input-'));
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: shop, capacity: 64 }',
      'zones: [{ origin: shop.example }]',
      'records: [{ name: www.shop.example, type: A, answers: [{ value: 127.0.0.1 }] }]',
      '',
    ].join('\n'),
  );
  squat = net.createServer();
  squatPort = await new Promise<number>((resolve) =>
    squat.listen(0, '127.0.0.1', () => resolve((squat.address() as net.AddressInfo).port)),
  );
});

afterAll(() => {
  squat.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bad input to the urnd commands: one line naming it, exit 1', () => {
  it('a negative number as a separate argument is checked by the option, not refused as ambiguous', async () => {
    const r = await urnd('serve', '--config', config, '--tick-ms', '-5');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('urnd serve: --tick-ms: "-5" is not a number from 10 to 60000 [URND_ERR_ARGUMENT]\n');
    // A missing value is still a missing value (exit 2 with the usage), not joined to the next option.
    const missing = await urnd('serve', '--config', '--demo');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--config' argument is ambiguous");
  });

  it('a config URL where nothing listens says why the fetch failed', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${closed}/cell.yaml`;
    const r = await urnd('aggregator', '-c', url, '--admin', 'off');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`urnd aggregator: config rejected: cannot fetch ${url}: ECONNREFUSED\n`);
  });

  it('urnd aggregator: a vectors port in use names the address and --listen', async () => {
    const r = await urnd('aggregator', '-c', config, '--listen', `127.0.0.1:${squatPort}`, '--admin', 'off');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `urnd aggregator: vectors listen 127.0.0.1:${squatPort}: the address is in use (choose another with --listen HOST:PORT or aggregator.listen) [URND_ERR_SNAPSHOT_LISTEN]\n`,
    );
  });

  it('urnd dns: a frames port in use names the address and --frames-listen', async () => {
    const r = await urnd(
      'dns',
      '-c',
      config,
      '--frames-listen',
      `127.0.0.1:${squatPort}`,
      '--dns-listen',
      '127.0.0.1:0',
      '--admin',
      'off',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `urnd dns: status frames listen 127.0.0.1:${squatPort}: the address is in use (choose another with --frames-listen HOST:PORT or dns.framesListen) [URND_ERR_SNAPSHOT_LISTEN]\n`,
    );
  });
});
