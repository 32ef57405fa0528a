import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigLoop, type Plan } from '../src/config/index.js';
import type { UrndError } from '../src/errors.js';

/**
 * The config loop fetches the whole document every pass and applies it even
 * when unchanged; anything unreadable, truncated, invalid or half-written is
 * rejected whole and the last good plan stays, until a later pass heals.
 */
const doc = (records: string) =>
  ['cell: { name: loop, capacity: 64 }', 'zones: [{ origin: loop.test }]', 'records:', records].join('\n');
const ONE = doc('  - { name: a.loop.test, type: A, answers: [{ value: 127.0.0.1 }] }');
const TWO = doc(
  '  - { name: a.loop.test, type: A, answers: [{ value: 127.0.0.1 }] }\n  - { name: b.loop.test, type: A, answers: [{ value: 127.0.0.2 }] }',
);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-loop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function harness(source: string) {
  const applied: { plan: Plan; changed: boolean }[] = [];
  const rejected: UrndError[] = [];
  const logged: string[] = [];
  const loop = await ConfigLoop.start({
    role: 'test',
    source,
    intervalMs: 60_000, // passes are forced with pass() below
    log: (line) => logged.push(line),
    onReject: (e) => rejected.push(e),
  });
  applied.push({ plan: loop.plan, changed: true });
  loop.onApply((next, _prev, changed) => {
    applied.push({ plan: next.plan, changed });
  });
  return { loop, applied, rejected, logged };
}

describe('config loop from a file', () => {
  it('applies every pass, changed or not; keeps the last good on a truncated, invalid or missing document', async () => {
    const file = path.join(dir, 'cell.yaml');
    writeFileSync(file, ONE);
    const { loop, applied, rejected, logged } = await harness(file);
    expect(loop.plan.setCount).toBe(1);

    await loop.pass(); // unchanged: applied again
    expect(applied.map((a) => a.changed)).toEqual([true, false]);

    writeFileSync(file, TWO.slice(0, TWO.length - 30)); // truncated mid-write
    await loop.pass();
    writeFileSync(file, TWO.replace('127.0.0.2', '127.0.0.999')); // invalid
    await loop.pass();
    rmSync(file); // gone
    await loop.pass();
    expect(rejected.map((e) => e.code)).toEqual([
      expect.stringMatching(/^URND_ERR_CONFIG_(PARSE|INVALID)$/), // a truncated document
      'URND_ERR_CONFIG_INVALID',
      'URND_ERR_CONFIG_READ',
    ]);
    expect(rejected[1]?.message).toContain('records[1].answers[0].value');
    expect(loop.plan.setCount).toBe(1);
    expect(applied.length).toBe(2);

    writeFileSync(file, TWO); // healed by the next pass
    await loop.pass();
    expect(loop.plan.setCount).toBe(2);
    expect(applied.at(-1)?.changed).toBe(true);
    expect(loop.stats()).toMatchObject({ applied: 3, rejected: 3, lastError: null });
    expect(logged.filter((l) => l.includes('config rejected'))).toHaveLength(3);
    await loop.stop();
  });

  it('rejects a capacity or cell-name change, which needs a restart', async () => {
    const file = path.join(dir, 'cap.yaml');
    writeFileSync(file, ONE);
    const { loop, rejected } = await harness(file);
    writeFileSync(file, ONE.replace('capacity: 64', 'capacity: 128'));
    await loop.pass();
    writeFileSync(file, ONE.replace('name: loop', 'name: other'));
    await loop.pass();
    expect(rejected.map((e) => e.message)).toEqual([
      expect.stringContaining('cell.capacity: 128 differs'),
      expect.stringContaining('cell.name: "other" differs'),
    ]);
    expect(loop.plan.cell).toEqual({ name: 'loop', capacity: 64 });
    await loop.stop();
  });

  it('the first document must be good', async () => {
    await expect(harness(path.join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'URND_ERR_CONFIG_READ' });
  });
});

describe('config loop from an http URL', () => {
  let server: http.Server;
  let body = ONE;
  let status = 200;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = status;
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cell.yaml`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches the whole document each pass; an error status or a bad body keeps the last good', async () => {
    const { loop, rejected } = await harness(url);
    status = 503;
    await loop.pass();
    status = 200;
    body = TWO.slice(0, 40);
    await loop.pass();
    expect(rejected.map((e) => e.code)).toEqual([
      'URND_ERR_CONFIG_READ',
      expect.stringMatching(/^URND_ERR_CONFIG_(PARSE|INVALID)$/),
    ]);
    expect(rejected[0]?.message).toContain('HTTP 503');
    expect(loop.plan.setCount).toBe(1);
    body = TWO;
    await loop.pass();
    expect(loop.plan.setCount).toBe(2);
    await loop.stop();
  });
});

describe('config loop rejections', () => {
  it('logs a rejection once while it stays the same, again when it changes or after a good pass', async () => {
    const file = path.join(dir, 'again.yaml');
    writeFileSync(file, ONE);
    const { loop, rejected, logged } = await harness(file);
    const bad = TWO.replace('127.0.0.2', '127.0.0.999');
    writeFileSync(file, bad);
    for (let i = 0; i < 3; i++) await loop.pass();
    writeFileSync(file, bad.replace('127.0.0.1', '127.0.0.888')); // another rejection
    await loop.pass();
    await loop.pass();
    writeFileSync(file, ONE); // good, then the first bad one again
    await loop.pass();
    writeFileSync(file, bad);
    await loop.pass();
    expect(rejected).toHaveLength(6);
    expect(logged.filter((l) => l.includes('config rejected'))).toHaveLength(3);
    await loop.stop();
  });

  it('a document with thousands of problems is logged with the first 20 and the count', async () => {
    const file = path.join(dir, 'many.yaml');
    writeFileSync(file, ONE);
    const { loop, logged } = await harness(file);
    writeFileSync(file, [ONE, ...Array.from({ length: 5000 }, (_, i) => `key${i}: value`)].join('\n'));
    await loop.pass();
    const line = logged.find((l) => l.includes('config rejected')) ?? '';
    expect(line).toContain('5000 problems, the first 20');
    expect(line.split('\n')).toHaveLength(21);
    await loop.stop();
  });
});
