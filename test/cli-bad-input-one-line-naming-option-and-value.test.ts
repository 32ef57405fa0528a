import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, runCli } from './support/roles.js';

/**
 * What a new user trying the README's commands meets when something is
 * wrong: one line on stderr naming the option or address and the value,
 * exit 1, no stack, no hang. A negative number given as a separate
 * argument (`--tick-ms -5`) reaches the option's own check rather than
 * parseArgs' three-line "ambiguous" message; a frames port in use names
 * the address and the setting that chose it; a config URL that cannot be
 * fetched says why, not just "fetch failed".
 */
const urnd = (...args: string[]) => runCli(args);

let dir: string;
let config: string;
let squat: net.Server;
let squatPort: number;

beforeAll(async () => {
  requireBuilt();
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
