import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cell } from '../src/cell.js';
import { compileConfig, type Plan } from '../src/config/index.js';
import { Status } from '../src/table/layout.js';
import { observationRun } from '../src/table/observation-word.js';
import { Targets, waitFor } from './support/targets.js';

/**
 * Cell.setPlan, as the config loop calls it every pass: the same plan or a
 * changed one never resets a healthy slot to unknown; a slot whose check
 * changed identity (a new id in the slot) starts from scratch — cleared
 * observation word, cleared verdicts — and is observed anew, without
 * inheriting the old check's run.
 */
const A = '127.0.8.21';
const B = '127.0.8.22';
let targets: Targets;

beforeAll(async () => {
  targets = await Targets.start([A, B]);
});
afterAll(async () => {
  await targets?.stop();
});

function plan(opts: { bId?: string; aThreshold?: number; extraRecord?: boolean }): Plan {
  const bId = opts.bId ?? 'b';
  return compileConfig({
    cell: { name: 'reload', capacity: 16 },
    checks: [
      {
        id: 'a',
        slot: 0,
        type: 'http',
        host: A,
        port: targets.port,
        interval: '1s',
        timeout: '500ms',
        failureThreshold: opts.aThreshold ?? 1,
      },
      {
        id: bId,
        slot: 1,
        type: 'http',
        host: B,
        port: targets.port,
        interval: '1s',
        timeout: '500ms',
        failureThreshold: 3,
      },
    ],
    zones: [{ origin: 'reload.test' }],
    records: [
      {
        name: 'www.reload.test',
        type: 'A',
        policy: 'multivalue',
        answers: [
          { value: A, check: 'a' },
          { value: B, check: bId },
        ],
      },
      ...(opts.extraRecord === true ? [{ name: 'more.reload.test', type: 'A', answers: [{ value: A }] }] : []),
    ],
  });
}

describe('Cell.setPlan', () => {
  it('keeps health across reloads; a slot with a new check identity is re-observed from scratch', async () => {
    const first = plan({});
    const cell = Cell.start(first, { tickMs: 50, checkers: 1, log: () => {} });
    try {
      const status = (slot: number) => cell.statusTable.statuses[slot] as Status;
      await waitFor(() => status(0) === Status.HEALTHY && status(1) === Status.HEALTHY, 8000, 'both healthy');

      // Watch every status byte the whole time, between and during reloads.
      const seen: Status[][] = [[], []];
      const watch = setInterval(() => {
        seen[0]?.push(status(0));
        seen[1]?.push(status(1));
      }, 5);

      // The same plan, again and again, as an unchanged document is re-applied every pass.
      for (let i = 0; i < 5; i++) await cell.setPlan(plan({}));
      expect(cell.reloadCounts).toEqual({ plans: 5, checkerReloads: 0 });
      // A changed plan: a new record, a probe setting changed (the checkers restart, health stays).
      await cell.setPlan(plan({ aThreshold: 2, extraRecord: true }));
      expect(cell.reloadCounts.checkerReloads).toBe(1);
      expect(cell.resolver.resolve('more.reload.test').addresses).toEqual([A]);
      // Until the new tasks have probed both checks twice (four results), watching every byte.
      const doneAtReload = cell.checkers.stats().probesDone;
      await waitFor(() => cell.checkers.stats().probesDone >= doneAtReload + 4, 8000, 'two rounds under the new tasks');
      clearInterval(watch);
      expect(seen[0]?.length).toBeGreaterThan(100);
      expect(new Set(seen[0])).toEqual(new Set([Status.HEALTHY]));
      expect(new Set(seen[1])).toEqual(new Set([Status.HEALTHY]));

      // Slot 1 gets a new check (b → b2, same target, threshold 3). Had the slot kept its
      // observation word, b2's first success would continue b's saturated run and be healthy
      // at once; from scratch it needs three successes.
      const words: number[] = [];
      const statuses: Status[] = [];
      const watchB = setInterval(() => {
        words.push(cell.observations.load(0, 1));
        statuses.push(status(1));
        watchA.push(status(0));
      }, 5);
      const watchA: Status[] = [];
      const changedAt = Date.now();
      await cell.setPlan(plan({ bId: 'b2', aThreshold: 2, extraRecord: true }));
      // Samples taken while setPlan waited for the checkers to restart still hold b's word.
      const clearedFrom = words.length;
      expect(cell.observations.load(0, 1)).toBe(0);
      // The next tick writes what the cleared verdicts say: no verdict yet.
      await waitFor(() => status(1) === Status.UNKNOWN, 1000, 'b2 unknown');
      await waitFor(() => status(1) === Status.HEALTHY, 8000, 'b2 healthy');
      const tookMs = Date.now() - changedAt;
      clearInterval(watchB);
      statuses.push(status(1)); // the sample waitFor just saw
      expect(statuses).toContain(Status.UNKNOWN);
      expect(statuses.lastIndexOf(Status.UNKNOWN)).toBeLessThan(statuses.lastIndexOf(Status.HEALTHY));
      const firstWord = words.slice(clearedFrom).find((w) => w !== 0);
      expect(firstWord === undefined ? -1 : observationRun(firstWord)).toBe(1);
      // Three results one interval apart: at least two intervals after the first.
      expect(tookMs).toBeGreaterThanOrEqual(1800);
      // Slot 0 (unchanged identity) stayed healthy through it.
      expect(new Set(watchA)).toEqual(new Set([Status.HEALTHY]));
      // Answers with a check of no verdict count healthy meanwhile (Route 53): B was never dropped.
      expect(cell.resolver.resolve('www.reload.test').addresses.sort()).toEqual([A, B]);
    } finally {
      await cell.stop();
    }
  });

  it('rejects a plan of another capacity and keeps the current one', async () => {
    const first = plan({});
    const cell = Cell.start(first, { tickMs: 1000, checkers: 1, log: () => {} });
    try {
      const other = compileConfig({ cell: { name: 'reload', capacity: 32 } });
      await expect(cell.setPlan(other)).rejects.toMatchObject({ code: 'URND_ERR_ARGUMENT' });
      expect(cell.plan).toBe(first);
      await cell.setPlan(plan({ extraRecord: true }));
      expect(cell.plan.setCount).toBe(2);
    } finally {
      await cell.stop();
    }
  });
});
