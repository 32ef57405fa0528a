import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Targets } from './support/targets.js';
import { RoleProcess, dnsStaleness, freePort, requireBuilt, resolve4, waitForAnswers } from './support/roles.js';

/**
 * The separate roles as real processes on loopback: two checker vantage
 * points, one aggregator, two DNS servers, linked only by pushed frames
 * (HMAC-keyed, the key in a file the document points at).
 *
 * - A target goes down → both DNS servers stop answering it within
 *   DOWN_BOUND_MS: one check interval (1 s, threshold 1, a refused
 *   connection fails at once) + a vector push (250 ms) + an aggregator tick
 *   (250 ms) + a status push, plus margin for a busy 2-core machine.
 * - The aggregator is SIGKILLed → both keep answering their last good
 *   answers, and the staleness on their status lines grows past 2 s.
 * - It is started again → both heal (fresh statuses, staleness back under
 *   a second) within HEAL_BOUND_MS: process start + the checkers' next push
 *   + warm-up + a tick.
 */
const DOWN_BOUND_MS = 3500;
const HEAL_BOUND_MS = 8000;
const A = '127.0.8.1';
const B = '127.0.8.2';

let dir: string;
let targets: Targets;
let config: string;
let aggListen: string;
let dnsPorts: number[];
const procs: RoleProcess[] = [];

function start(name: string, args: string[]): RoleProcess {
  const p = new RoleProcess(name, [...args, '--config', config]);
  procs.push(p);
  return p;
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-roles-'));
  targets = await Targets.start([A, B]);
  const keyFile = path.join(dir, 'frames.key');
  writeFileSync(keyFile, `${'5a'.repeat(32)}\n`);
  const agg = await freePort();
  const frames = [await freePort(), await freePort()];
  dnsPorts = [await freePort(), await freePort()];
  aggListen = `127.0.0.1:${agg}`;
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: roles, capacity: 64 }',
      'configInterval: 1s',
      `frames: { keyFile: ${JSON.stringify(keyFile)} }`,
      'aggregator:',
      `  listen: ${aggListen}`,
      '  tick: 250ms',
      '  vantages: 2',
      `  subscribers: [127.0.0.1:${frames[0]}, 127.0.0.1:${frames[1]}]`,
      '  warmup: 4s',
      `dns: { listen: 127.0.0.1:${dnsPorts[0]}, framesListen: 127.0.0.1:${frames[0]} }`,
      'checks:',
      `  - { id: a, slot: 0, type: http, host: ${A}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
      `  - { id: b, slot: 1, type: http, host: ${B}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
      'zones: [{ origin: roles.test }]',
      'records:',
      '  - name: www.roles.test',
      '    type: A',
      '    policy: multivalue',
      `    answers: [{ value: ${A}, check: a }, { value: ${B}, check: b }]`,
    ].join('\n'),
  );
  start('checker 0', ['checker', '--vantage', '0']);
  start('checker 1', ['checker', '--vantage', '1']);
  start('aggregator', ['aggregator']);
  start('dns 1', ['dns']);
  start('dns 2', ['dns', '--frames-listen', `127.0.0.1:${frames[1]}`, '--dns-listen', `127.0.0.1:${dnsPorts[1]}`]);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('two checkers, one aggregator, two DNS servers', () => {
  it('exclude a dead target everywhere, keep answering through an aggregator outage, and heal when it returns', async () => {
    const [dns1, dns2] = [procs[3] as RoleProcess, procs[4] as RoleProcess];
    for (const p of procs) await p.waitForLine(/^urnd \w+: .*(vectors to|vectors on|DNS on)/, 15_000);
    // Both vantages report, both statuses healthy, both DNS servers answer both.
    await waitForAnswers(dnsPorts, 'www.roles.test', [A, B], 10_000);
    await (procs[2] as RoleProcess).waitForLine(/healthy 2 {2}unhealthy 0 .*vantages 0:[\d.]+s 1:[\d.]+s/, 10_000);

    await targets.down(B);
    const excludedMs = await waitForAnswers(dnsPorts, 'www.roles.test', [A], DOWN_BOUND_MS + 2000);
    expect(excludedMs).toBeLessThanOrEqual(DOWN_BOUND_MS);

    // The aggregator dies; the target comes back meanwhile, which nobody can tell the DNS servers.
    const aggregator = procs[2] as RoleProcess;
    aggregator.kill('SIGKILL');
    await aggregator.exited;
    await targets.up(B);
    const deadAt = Date.now();
    const staleSeen: number[] = [];
    while (Date.now() - deadAt < 3000) {
      // Static stability: the last good answers, from both, all along.
      expect(await Promise.all(dnsPorts.map((p) => resolve4(p, 'www.roles.test')))).toEqual([[A], [A]]);
      await new Promise((r) => setTimeout(r, 300));
    }
    await dns1.waitForLine(/frames: last good [2-9]\.\d s ago/, 3000, dns1.lines.length - 3);
    await dns2.waitForLine(/frames: last good [2-9]\.\d s ago/, 3000, dns2.lines.length - 3);
    staleSeen.push(dnsStaleness(dns1) as number, dnsStaleness(dns2) as number);
    expect(Math.min(...staleSeen)).toBeGreaterThanOrEqual(2);
    // Nothing was rejected meanwhile: there was just nothing to receive.
    expect(dns1.last(/rejected (\d+) \(/)).toBeNull();

    const restartedAt = Date.now();
    const again = start('aggregator again', ['aggregator']);
    const healedMs = await waitForAnswers(dnsPorts, 'www.roles.test', [A, B], HEAL_BOUND_MS + 2000);
    expect(healedMs).toBeLessThanOrEqual(HEAL_BOUND_MS);
    await again.waitForLine(/status frames \d+ → 2\/2 connected/, 5000);
    const freshFrom = Math.max(dns1.lines.length, dns2.lines.length);
    await dns1.waitForLine(/frames: last good 0\.\d s ago/, 3000, Math.min(freshFrom, dns1.lines.length));
    await dns2.waitForLine(/frames: last good 0\.\d s ago/, 3000, Math.min(freshFrom, dns2.lines.length));
    expect(Date.now() - restartedAt).toBeLessThan(HEAL_BOUND_MS + 4000);
    console.log(
      `target down → excluded by both DNS servers in ${excludedMs} ms (bound ${DOWN_BOUND_MS}); aggregator dead: staleness ${staleSeen.join(' / ')} s, answers kept; restarted → healed in ${healedMs} ms (bound ${HEAL_BOUND_MS})`,
    );
    for (const p of [dns1, dns2]) expect(p.stderr).toBe('');
  });
});
