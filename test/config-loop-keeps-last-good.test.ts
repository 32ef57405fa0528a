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
const TWO = doc('  - { name: a.loop.test, type: A, answers: [{ value: 127.0.0.1 }] }\n  - { name: b.loop.test, type: A, answers: [{ value: 127.0.0.2 }] }');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-loop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function harness(source: string) {
  const applied: { plan: Plan; changed: boolean }[] = [];
  const rejected: UrndError[] = [];
  const loop = new ConfigLoop(source, {
    intervalMs: 60_000, // passes are forced with pass() below
    onApply: (plan, changed) => {
      applied.push({ plan, changed });
    },
    onReject: (e) => rejected.push(e),
  });
  return { loop, applied, rejected };
}

describe('config loop from a file', () => {
  it('applies every pass, changed or not; keeps the last good on a truncated, invalid or missing document', async () => {
    const file = path.join(dir, 'cell.yaml');
    writeFileSync(file, ONE);
    const { loop, applied, rejected } = harness(file);
    const first = await loop.start();
    expect(first.setCount).toBe(1);

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
    expect(loop.plan?.setCount).toBe(1);
    expect(applied.length).toBe(2);

    writeFileSync(file, TWO); // healed by the next pass
    await loop.pass();
    expect(loop.plan?.setCount).toBe(2);
    expect(applied.at(-1)?.changed).toBe(true);
    expect(loop.stats()).toMatchObject({ applied: 3, rejected: 3, lastError: null });
    await loop.stop();
  });

  it('rejects a capacity or cell-name change, which needs a restart', async () => {
    const file = path.join(dir, 'cap.yaml');
    writeFileSync(file, ONE);
    const { loop, rejected } = harness(file);
    await loop.start();
    writeFileSync(file, ONE.replace('capacity: 64', 'capacity: 128'));
    await loop.pass();
    writeFileSync(file, ONE.replace('name: loop', 'name: other'));
    await loop.pass();
    expect(rejected.map((e) => e.message)).toEqual([
      expect.stringContaining('cell.capacity: 128 differs'),
      expect.stringContaining('cell.name: "other" differs'),
    ]);
    expect(loop.plan?.cell).toEqual({ name: 'loop', capacity: 64 });
    await loop.stop();
  });

  it('the first document must be good', async () => {
    const { loop } = harness(path.join(dir, 'missing.yaml'));
    await expect(loop.start()).rejects.toMatchObject({ code: 'URND_ERR_CONFIG_READ' });
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
    const { loop, rejected } = harness(url);
    await loop.start();
    status = 503;
    await loop.pass();
    status = 200;
    body = TWO.slice(0, 40);
    await loop.pass();
    expect(rejected.map((e) => e.code)).toEqual(['URND_ERR_CONFIG_READ', expect.stringMatching(/^URND_ERR_CONFIG_(PARSE|INVALID)$/)]);
    expect(rejected[0]?.message).toContain('HTTP 503');
    expect(loop.plan?.setCount).toBe(1);
    body = TWO;
    await loop.pass();
    expect(loop.plan?.setCount).toBe(2);
    await loop.stop();
  });
});
