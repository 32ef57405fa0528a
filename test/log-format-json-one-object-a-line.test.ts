import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { formatLines, lineLevel } from '../src/log/line-format.js';
import { CLI, requireBuilt } from './support/roles.js';

/**
 * `--log-format json`: every line a real `urnd serve` writes is one JSON
 * object with time, level, role, kind and the human line as msg; levels
 * follow the line's meaning; `text` leaves lines untouched.
 */
describe('--log-format', () => {
  it('levels and kinds by the line', () => {
    expect(lineLevel('[  12s] healthy 3  unhealthy 1  unknown 0 | rejected 2')).toBe('info');
    expect(lineLevel('urnd dns: config rejected, keeping 1a2b: bad')).toBe('warn');
    expect(lineLevel('urnd aggregator: vantage 2 silent for 5.0 s: its votes no longer count')).toBe('warn');
    expect(lineLevel('urnd serve: DNS on 127.0.0.1:5353 (udp+tcp)')).toBe('info');
    const got: string[] = [];
    formatLines(
      'json',
      'dns',
      (l) => got.push(l),
      () => 0,
    )('[   1s] frames: none yet');
    expect(JSON.parse(got[0] as string)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      role: 'dns',
      kind: 'status',
      msg: '[   1s] frames: none yet',
    });
    const same: string[] = [];
    formatLines('text', 'dns', (l) => same.push(l))('as is');
    expect(same).toEqual(['as is']);
  });

  it('a real urnd serve writes one JSON object a line', async () => {
    requireBuilt();
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--no-dns', '--duration', '2', '--log-format', 'json', '--admin', 'off'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    const records = lines.map(
      (l) => JSON.parse(l) as { time: string; level: string; role: string; kind: string; msg: string },
    );
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['time', 'level', 'role', 'kind', 'msg']);
      expect(Number.isNaN(Date.parse(r.time))).toBe(false);
      expect(r.role).toBe('serve');
    }
    expect(records.some((r) => r.kind === 'status' && /^\[\s*\d+s\] healthy/.test(r.msg))).toBe(true);
    expect(records.at(-1)?.msg).toBe('urnd serve: stopped');
  });
});
