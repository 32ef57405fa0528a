import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Result, Status } from '../src/table/layout.js';
import { UrndError } from '../src/errors.js';
import { Aggregator } from '../src/aggregate/index.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';
import { aggCell, aggPlan, tcp } from './support/aggregate.js';

/**
 * Route 53: "If more than 18% of health checkers report that an endpoint is
 * healthy, Route 53 considers it healthy." Only vantage points with a
 * verdict vote; a check no vantage has a verdict on is UNKNOWN.
 */
type Vote = 'up' | 'down' | 'none';

/** A cell with one check (threshold 1) in slot 7, one vantage row per vote. */
function statusFor(votes: Vote[], healthyFraction?: number): Status {
  const cell = aggCell(
    aggPlan([tcp('a', 7, { failureThreshold: 1 })]),
    votes.length,
    healthyFraction === undefined ? {} : { healthyFraction },
  );
  votes.forEach((vote, v) => {
    if (vote !== 'none') cell.word(7, vote === 'up' ? Result.SUCCESS : Result.FAILURE, 1, v);
  });
  return cell.tickStatus(7);
}

const rows = (up: number, down: number, none = 0): Vote[] => [
  ...Array<Vote>(up).fill('up'),
  ...Array<Vote>(down).fill('down'),
  ...Array<Vote>(none).fill('none'),
];

describe('vantage vote, default 18%', () => {
  it('three vantages: 0/3 healthy is unhealthy, 1/3 (33%) healthy, 3/3 healthy', () => {
    expect(statusFor(rows(0, 3))).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(1, 2))).toBe(Status.HEALTHY);
    expect(statusFor(rows(3, 0))).toBe(Status.HEALTHY);
  });

  it('five vantages: 1/5 = 20% > 18% is healthy', () => {
    expect(statusFor(rows(1, 4))).toBe(Status.HEALTHY);
    expect(statusFor(rows(0, 5))).toBe(Status.UNHEALTHY);
  });

  it('seven vantages: 1/7 ≈ 14% is unhealthy, 2/7 ≈ 29% healthy', () => {
    expect(statusFor(rows(1, 6))).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(2, 5))).toBe(Status.HEALTHY);
  });

  it('rows with no result do not count: 1 up + 6 silent is 1/1, healthy; 1 up, 6 down, silent rows do not dilute', () => {
    expect(statusFor(rows(1, 0, 6))).toBe(Status.HEALTHY);
    expect(statusFor(rows(0, 1, 6))).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(0, 0, 7))).toBe(Status.UNKNOWN);
    // 1 of 5 known = 20% → healthy, even though it is 1 of 9 rows.
    expect(statusFor(rows(1, 4, 4))).toBe(Status.HEALTHY);
  });

  it('a row whose run has not reached the threshold has no verdict and does not vote', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: 3 })]), 3);
    cell.word(0, Result.SUCCESS, 3, 0);
    cell.word(0, Result.FAILURE, 2, 1);
    cell.word(0, Result.FAILURE, 2, 2);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    expect([0, 1, 2].map((v) => cell.aggregator.verdict(v, 0))).toEqual([
      Status.HEALTHY,
      Status.UNKNOWN,
      Status.UNKNOWN,
    ]);
    // One more failure each on rows 1 and 2: now 1 of 3 healthy, still > 18%.
    cell.word(0, Result.FAILURE, 3, 1);
    cell.word(0, Result.FAILURE, 3, 2);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    cell.word(0, Result.FAILURE, 3, 0);
    expect(cell.tickStatus(0)).toBe(Status.UNHEALTHY);
  });

  it('each vantage keeps its own verdict between its runs', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: 2 })]), 2);
    cell.word(0, Result.SUCCESS, 2, 0);
    cell.word(0, Result.FAILURE, 2, 1);
    cell.tickStatus(0);
    // Row 0 sees one failure (run 1 < 2): keeps HEALTHY.
    cell.word(0, Result.FAILURE, 1, 0);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    expect(cell.aggregator.verdict(0, 0)).toBe(Status.HEALTHY);
    expect(cell.aggregator.verdict(1, 0)).toBe(Status.UNHEALTHY);
  });
});

describe('custom fraction', () => {
  it('0.5: 2/4 (exactly 50%) is unhealthy, 3/4 healthy', () => {
    expect(statusFor(rows(2, 2), 0.5)).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(3, 1), 0.5)).toBe(Status.HEALTHY);
  });

  it('0.2: 1/5 (exactly 20%) is unhealthy: the comparison is strict and exact', () => {
    expect(statusFor(rows(1, 4), 0.2)).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(2, 3), 0.2)).toBe(Status.HEALTHY);
  });

  it('0: any healthy vote is enough; 1: never healthy once known', () => {
    expect(statusFor(rows(1, 6), 0)).toBe(Status.HEALTHY);
    expect(statusFor(rows(0, 7), 0)).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(7, 0), 1)).toBe(Status.UNHEALTHY);
    expect(statusFor(rows(0, 0, 3), 1)).toBe(Status.UNKNOWN);
  });

  it('random votes and fractions k/100 against the rational rule up/known > k/100', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.constantFrom<Vote>('up', 'down', 'none'), { minLength: 1, maxLength: 64 }),
        (k, votes) => {
          const up = votes.filter((v) => v === 'up').length;
          const known = votes.filter((v) => v !== 'none').length;
          const expected = known === 0 ? Status.UNKNOWN : up * 100 > k * known ? Status.HEALTHY : Status.UNHEALTHY;
          return statusFor(votes, k / 100) === expected;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a fraction outside 0..1 or not a number is URND_ERR_ARGUMENT', () => {
    const plan = aggPlan([]);
    for (const f of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let err: unknown;
      try {
        new Aggregator(plan, ObservationTable.create(64), StatusTable.create(64), { healthyFraction: f });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UrndError);
      expect((err as UrndError).code).toBe('URND_ERR_ARGUMENT');
    }
  });
});
