import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../bench/free-port.js';

/**
 * `urnd serve` as a real process: with --demo it starts its own loopback
 * targets, prints a status line every second whose counts reach the
 * configured checks, flips targets, and on SIGTERM stops cleanly (exit 0).
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
let dir: string;
let config: string;

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-serve-'));
  const port = await freePort('127.0.6.1');
  const hosts = [1, 2, 3, 4].map((i) => `127.0.6.${i}`);
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: clitest, capacity: 64 }',
      'checks:',
      ...hosts.map(
        (h, i) =>
          `  - { id: t${i}, slot: ${i}, type: http, host: ${h}, port: ${port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
      ),
      'zones: [{ origin: cli.test }]',
      'records:',
      '  - name: pool.cli.test',
      '    type: A',
      '    policy: multivalue',
      '    answers:',
      ...hosts.map((h, i) => `      - { value: ${h}, check: t${i} }`),
    ].join('\n'),
  );
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function run(
  args: string[],
  onLine: (line: string, kill: () => void) => void,
  timeoutMs: number,
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not finish in ${timeoutMs} ms; output:\n${lines.join('\n')}\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine(line, () => child.kill('SIGTERM'));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines, stderr });
    });
  });
}

describe('urnd serve', () => {
  it('--demo: status lines count the checks, targets flip, SIGTERM stops it cleanly', async () => {
    let sawFlip = false;
    let sawUnhealthy = false;
    // Port 0: the OS picks a free port (not 5353, which another server may hold).
    const { code, lines, stderr } = await run(
      [
        'serve',
        '--config',
        config,
        '--demo',
        '--demo-period',
        '4',
        '--dns-listen',
        '127.0.6.1:0',
        '--admin',
        '127.0.0.1:0',
      ],
      (line, kill) => {
        if (line.includes('demo: taking down every other target: 2')) sawFlip = true;
        if (/unhealthy [1-9]/.test(line)) {
          sawUnhealthy = true;
          kill();
        }
      },
      20_000,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sawFlip).toBe(true);
    expect(sawUnhealthy).toBe(true);
    const status = lines.filter((l) =>
      /^\[\s*\d+s\] healthy \d+ {2}unhealthy \d+ {2}unknown \d+ \| tick [\d.]+ ms \| [\d.]+ probes\/s, start p99 [\d.]+ ms late \| .* \| dns \d+ q\/s$/.test(
        l,
      ),
    );
    expect(status.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^urnd serve: DNS on 127\.0\.6\.1:[1-9]\d* \(udp\+tcp\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /healthy 4 {2}unhealthy 0 {2}unknown 0/.test(l))).toBe(true);
    expect(lines).toContain('urnd serve: SIGTERM, shutting down');
    expect(lines[lines.length - 1]).toBe('urnd serve: stopped');
  });

  it('rejects a bad option value by name, exit 1', async () => {
    const { code, stderr } = await run(['serve', '--config', config, '--checkers', 'lots'], () => {}, 10_000);
    expect(code).toBe(1);
    expect(stderr).toContain('--checkers: "lots" is not a number from 1 to 64');
    const bad = await run(['serve', '--config', config, '--dns-listen', 'localhost:53'], () => {}, 10_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--dns-listen: "localhost:53" is not an IP address and port');
  });

  it('--no-dns: no DNS line, no dns column', async () => {
    const { code, lines } = await run(
      ['serve', '--config', config, '--no-dns', '--duration', '2', '--admin', 'off'],
      () => {},
      15_000,
    );
    expect(code).toBe(0);
    expect(lines.some((l) => l.startsWith('urnd serve: DNS on'))).toBe(false);
    expect(lines.some((l) => l.includes('| dns '))).toBe(false);
  });

  it('--help documents every option', async () => {
    const { code, lines } = await run(['serve', '--help'], () => {}, 10_000);
    expect(code).toBe(0);
    const text = lines.join('\n');
    for (const opt of [
      '--config',
      '--demo',
      '--demo-period',
      '--checkers',
      '--tick-ms',
      '--duration',
      '--dns-listen',
      '--no-dns',
    ])
      expect(text).toContain(opt);
  });
});
