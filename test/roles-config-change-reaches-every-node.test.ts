import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Targets } from './support/targets.js';
import { RoleProcess, freePort, requireBuilt, resolve4, waitForAnswers, writeAtomically } from './support/roles.js';

/**
 * The config loop across real processes: a checker, an aggregator, a DNS
 * server and a second DNS server running two DNS processes — five nodes,
 * every one fetching the whole document every second (configInterval 1s).
 *
 * - The document is rewritten atomically with a new record and a new check:
 *   every DNS port serves the record within RECORD_BOUND_MS (one config
 *   interval + one tick + margin), and the new check's verdict (its target
 *   is down) reaches every DNS port within CHECK_BOUND_MS (one config
 *   interval for the checker and the aggregator to take it + one check
 *   interval + a push and a tick + margin).
 * - The file is then truncated mid-write: every node rejects it, counts it
 *   and keeps serving the last good document; the next good write heals.
 */
const RECORD_BOUND_MS = 2500;
const CHECK_BOUND_MS = 4500;
const A = '127.0.8.11';
const B = '127.0.8.12';
const C = '127.0.8.13'; // never up

let dir: string;
let targets: Targets;
let config: string;
let dnsPorts: number[];
let frames: number[];
let agg: number;
const procs: RoleProcess[] = [];

function doc(extra: { checks?: string[]; records?: string[] }): string {
  return [
    'cell: { name: loop, capacity: 64 }',
    'configInterval: 1s',
    'frames: { key: 00112233445566778899aabbccddeeff }',
    'aggregator:',
    `  listen: 127.0.0.1:${agg}`,
    '  tick: 250ms',
    `  subscribers: [127.0.0.1:${frames[0]}, 127.0.0.1:${frames[1]}]`,
    `dns: { listen: 127.0.0.1:${dnsPorts[0]}, framesListen: 127.0.0.1:${frames[0]} }`,
    'checks:',
    `  - { id: a, slot: 0, type: http, host: ${A}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
    `  - { id: b, slot: 1, type: http, host: ${B}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
    ...(extra.checks ?? []),
    'zones: [{ origin: loop.test }]',
    'records:',
    `  - { name: www.loop.test, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }] }`,
    ...(extra.records ?? []),
  ].join('\n');
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-loop-roles-'));
  targets = await Targets.start([A, B]);
  agg = await freePort();
  frames = [await freePort(), await freePort()];
  const second = await freePort();
  // The second DNS server's two processes share its port: it is asked several times a poll.
  dnsPorts = [await freePort(), second, second, second, second];
  config = path.join(dir, 'cell.yaml');
  writeFileSync(config, doc({}));
  const start = (name: string, args: string[]) => procs.push(new RoleProcess(name, [...args, '--config', config]));
  start('checker', ['checker', '--vantage', '0']);
  start('aggregator', ['aggregator']);
  start('dns 1', ['dns']);
  start('dns 2', [
    'dns',
    '--frames-listen',
    `127.0.0.1:${frames[1]}`,
    '--dns-listen',
    `127.0.0.1:${second}`,
    '--workers',
    '2',
  ]);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a config change', () => {
  it('reaches every node within one interval; a truncated document is rejected everywhere and the last good one kept', async () => {
    for (const p of procs) await p.waitForLine(/^urnd \w+: .*(vectors to|vectors on|DNS on)/, 15_000);
    await waitForAnswers(dnsPorts, 'www.loop.test', [A], 10_000);
    expect(await resolve4(dnsPorts[0] as number, 'new.loop.test')).toBe('NXDOMAIN');

    // New check c (its target is down) and a new record guarded by b and c.
    const changed = doc({
      checks: [
        `  - { id: c, slot: 2, type: http, host: ${C}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
      ],
      records: [
        `  - { name: new.loop.test, type: A, policy: multivalue, answers: [{ value: ${B}, check: b }, { value: ${C}, check: c }] }`,
      ],
    });
    const t0 = Date.now();
    writeAtomically(config, changed);
    // Served everywhere: the record at once (c has no verdict yet, so both answers count healthy) …
    const recordMs = await waitUntil(
      async () =>
        (await Promise.all(dnsPorts.map((p) => resolve4(p, 'new.loop.test')))).every(
          (a) => Array.isArray(a) && a.includes(B),
        ),
      RECORD_BOUND_MS + 3000,
    );
    expect(recordMs).toBeLessThanOrEqual(RECORD_BOUND_MS);
    // … and the new check's verdict: C excluded.
    await waitForAnswers(dnsPorts, 'new.loop.test', [B], CHECK_BOUND_MS + 3000);
    const checkMs = Date.now() - t0;
    expect(checkMs).toBeLessThanOrEqual(CHECK_BOUND_MS);
    await procs[1]?.waitForLine(/healthy 2 {2}unhealthy 1 {2}unknown 0/, 3000, 0);

    // A control plane that writes in place and is caught half-way: rejected by every node, counted.
    const without = doc({ records: [] }); // would drop new.loop.test and check c
    const cutAt = without.indexOf(`value: ${A}`) + 10; // inside a flow mapping: not a document
    const marks = procs.map((p) => p.lines.length);
    writeFileSync(config, without.slice(0, cutAt));
    for (const [i, p] of procs.entries()) {
      await p.waitForLine(/config rejected, keeping [0-9a-f]{12}: /, 3000, marks[i]);
      await p.waitForLine(/config [0-9a-f]{12} \(rejected [1-9]\d*\)/, 3000, marks[i]);
    }
    // The last good document is still served everywhere, the new check still applied.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await Promise.all(dnsPorts.map((p) => resolve4(p, 'new.loop.test')))).toEqual(dnsPorts.map(() => [B]));
    expect(await Promise.all(dnsPorts.map((p) => resolve4(p, 'www.loop.test')))).toEqual(dnsPorts.map(() => [A]));

    // The next whole write heals: the record is gone everywhere within an interval.
    writeAtomically(config, without);
    const healMs = await waitUntil(
      async () => (await Promise.all(dnsPorts.map((p) => resolve4(p, 'new.loop.test')))).every((a) => a === 'NXDOMAIN'),
      RECORD_BOUND_MS + 3000,
    );
    expect(healMs).toBeLessThanOrEqual(RECORD_BOUND_MS);
    for (const p of procs) expect(p.stderr).toBe('');
    console.log(
      `new record served by every DNS server (${dnsPorts.length} answers a poll) in ${recordMs} ms (bound ${RECORD_BOUND_MS}); new check's verdict everywhere in ${checkMs} ms (bound ${CHECK_BOUND_MS}); truncated write rejected by all ${procs.length} nodes; healed in ${healMs} ms`,
    );
  });
});

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await done())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}
