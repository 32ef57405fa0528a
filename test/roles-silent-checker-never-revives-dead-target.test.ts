import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Targets } from './support/targets.js';
import { AnswerWatch, hasDig } from './support/answer-watch.js';
import { RoleProcess, freePort, requireBuilt, waitForAnswers } from './support/roles.js';

/**
 * Missing data is never evidence of health. Real checker, aggregator and
 * DNS processes on loopback; target UP answers, target DOWN refuses
 * connections the whole test. Once DOWN is out of the answers, a DNS
 * client asks every 100 ms, and DOWN must stay out of every answer while
 * checkers are SIGKILLed (one, then all), stay dead long past the
 * aggregator's silence limit (5 ticks), and are started again (a restarted
 * checker's row is "never observed" until its probes run).
 */
const UP = '127.0.9.1';
const DOWN = '127.0.9.2';
const NAME = 'www.silent.test';
/** Seconds of silence the aggregator's status line must show before the test moves on: well past 5 ticks of 250 ms. */
const SILENT_S = 3;
/** Start-up bound (five processes; a DNS process alone can take 15 s to start on a busy 2-core machine). */
const START_MS = 40_000;

const procs: RoleProcess[] = [];
let dir: string | undefined;
let targets: Targets | undefined;

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  await targets?.stop();
  targets = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function cell(vantages: number): Promise<{ config: string; dnsPort: number }> {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-silent-'));
  targets = await Targets.start([UP]);
  const agg = await freePort();
  const frames = await freePort();
  const dnsPort = await freePort();
  const config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: silent, capacity: 16 }',
      'configInterval: 1s',
      'aggregator:',
      `  listen: 127.0.0.1:${agg}`,
      '  tick: 250ms',
      `  vantages: ${vantages}`,
      `  subscribers: [127.0.0.1:${frames}]`,
      '  warmup: 5s',
      `dns: { listen: 127.0.0.1:${dnsPort}, framesListen: 127.0.0.1:${frames} }`,
      'checks:',
      `  - { id: up, slot: 0, type: http, host: ${UP}, port: ${targets.port}, interval: 1s, timeout: 300ms, failureThreshold: 2 }`,
      `  - { id: down, slot: 1, type: http, host: ${DOWN}, port: ${targets.port}, interval: 1s, timeout: 300ms, failureThreshold: 2 }`,
      'zones: [{ origin: silent.test }]',
      'records:',
      `  - name: ${NAME}`,
      '    type: A',
      '    policy: multivalue',
      `    answers: [{ value: ${UP}, check: up }, { value: ${DOWN}, check: down }]`,
    ].join('\n'),
  );
  return { config, dnsPort };
}

function start(name: string, args: string[], config: string): RoleProcess {
  const p = new RoleProcess(name, [...args, '--config', config]);
  procs.push(p);
  return p;
}

/** Waits for an aggregator status line (after line `from`) on which every vantage in `vs` matches `age` (e.g. silent for ≥ SILENT_S, or fresh). */
async function vantageAges(aggregator: RoleProcess, vs: readonly number[], age: string, from: number): Promise<void> {
  const re = new RegExp(`vantages ${vs.map((v) => `(?=.*\\b${v}:${age}s\\b)`).join('')}`);
  await aggregator.waitForLine(re, 30_000, from);
}
const SILENT = `(?:[${SILENT_S}-9]|\\d{2,})\\.\\d`;
const FRESH = '0\\.\\d';

/** Starts the checkers, the aggregator and one DNS server; resolves once DOWN is out of the answers. */
async function startCell(
  vantages: number,
): Promise<{ config: string; dnsPort: number; checkers: RoleProcess[]; aggregator: RoleProcess }> {
  const { config, dnsPort } = await cell(vantages);
  const checkers = Array.from({ length: vantages }, (_, v) =>
    start(`checker ${v}`, ['checker', '--vantage', String(v)], config),
  );
  const aggregator = start('aggregator', ['aggregator'], config);
  start('dns', ['dns'], config);
  await waitForAnswers([dnsPort], NAME, [UP], START_MS).catch((err: unknown) => {
    throw new Error(
      `${String(err)}\n${procs.map((p) => `${p.name}: ${p.lines.slice(-4).join(' / ')} ${p.stderr}`).join('\n')}`,
    );
  });
  return { config, dnsPort, checkers, aggregator };
}

/** Two status lines of `p` after line `from`: its probes have run (interval 1 s, threshold 2) at least twice since. */
async function twoStatusLines(p: RoleProcess): Promise<void> {
  const from = p.lines.length;
  await p.waitForLine(/^\[\s*\d+s\] vantage/, 30_000, from);
  const next = p.lines.length;
  await p.waitForLine(/^\[\s*\d+s\] vantage/, 30_000, next);
}

function report(watch: AnswerWatch, what: string): void {
  console.log(
    `${what}: ${watch.answers.length} answers (${hasDig ? 'dig' : "Node's resolver"}), ${watch.containing(DOWN).length} with the dead target`,
  );
}

describe('a silent checker never makes DNS hand out a dead target', () => {
  it('one vantage: checker killed, silent, restarted', { timeout: 90_000 }, async () => {
    const { config, dnsPort, checkers, aggregator } = await startCell(1);
    const watch = new AnswerWatch([dnsPort], NAME);
    try {
      const [checker] = checkers as [RoleProcess];
      checker.kill('SIGKILL');
      await checker.exited;
      await vantageAges(aggregator, [0], SILENT, aggregator.lines.length);
      const again = start('checker 0 again', ['checker', '--vantage', '0'], config);
      await again.waitForLine(/vectors to/, 30_000);
      await vantageAges(aggregator, [0], FRESH, aggregator.lines.length);
      await twoStatusLines(again);
    } finally {
      await watch.stop();
    }
    report(watch, 'one vantage');
    expect(watch.answers.length).toBeGreaterThan(20);
    expect(watch.containing(DOWN).map((a) => a.atMs)).toEqual([]);
    // The live target was answered throughout: the table was not frozen empty either.
    expect(watch.answers.filter((a) => JSON.stringify(a.answer) === JSON.stringify([UP])).length).toBe(
      watch.answers.length,
    );
  });

  it('three vantages: one killed, then all, then all restarted', { timeout: 120_000 }, async () => {
    const { config, dnsPort, checkers, aggregator } = await startCell(3);
    const watch = new AnswerWatch([dnsPort], NAME);
    try {
      const [c0, c1, c2] = checkers as [RoleProcess, RoleProcess, RoleProcess];
      c2.kill('SIGKILL');
      await c2.exited;
      await vantageAges(aggregator, [2], SILENT, aggregator.lines.length);
      c0.kill('SIGKILL');
      c1.kill('SIGKILL');
      await Promise.all([c0.exited, c1.exited]);
      await vantageAges(aggregator, [0, 1, 2], SILENT, aggregator.lines.length);
      const again = [0, 1, 2].map((v) => start(`checker ${v} again`, ['checker', '--vantage', String(v)], config));
      for (const p of again) await p.waitForLine(/vectors to/, 30_000);
      await vantageAges(aggregator, [0, 1, 2], FRESH, aggregator.lines.length);
      await Promise.all(again.map((p) => twoStatusLines(p)));
    } finally {
      await watch.stop();
    }
    report(watch, 'three vantages');
    expect(watch.answers.length).toBeGreaterThan(20);
    expect(watch.containing(DOWN).map((a) => a.atMs)).toEqual([]);
    expect(watch.answers.filter((a) => JSON.stringify(a.answer) === JSON.stringify([UP])).length).toBe(
      watch.answers.length,
    );
  });
});
