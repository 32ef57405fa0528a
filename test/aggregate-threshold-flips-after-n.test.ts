import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Result, RUN_MAX, Status } from '../src/table/layout.js';
import { aggCell, aggPlan, tcp } from './support/aggregate.js';

/**
 * A vantage point's verdict on a probe check flips after exactly N
 * consecutive identical results (N = failureThreshold), in either
 * direction, never before; a shorter run keeps the old verdict; a check is
 * UNKNOWN until its first run reaches N (Route 53: the failure threshold is
 * "the number of consecutive health checks that an endpoint must pass or
 * fail to change the current status").
 */
const OUTCOME = { [Result.SUCCESS]: Status.HEALTHY, [Result.FAILURE]: Status.UNHEALTHY } as const;

describe.each([1, 3, 10])('failureThreshold %i', (n) => {
  it('stays unknown until the first run reaches N, then flips after exactly N either way', () => {
    const cell = aggCell(aggPlan([tcp('a', 5, { failureThreshold: n })]));
    expect(cell.tickStatus(5)).toBe(Status.UNKNOWN);
    for (let i = 1; i < n; i++) {
      cell.probe(5, Result.SUCCESS);
      expect({ successes: i, status: cell.tickStatus(5) }).toEqual({ successes: i, status: Status.UNKNOWN });
    }
    cell.probe(5, Result.SUCCESS);
    expect(cell.tickStatus(5)).toBe(Status.HEALTHY);

    for (let i = 1; i < n; i++) {
      cell.probe(5, Result.FAILURE);
      expect({ failures: i, status: cell.tickStatus(5) }).toEqual({ failures: i, status: Status.HEALTHY });
    }
    cell.probe(5, Result.FAILURE);
    expect(cell.tickStatus(5)).toBe(Status.UNHEALTHY);

    for (let i = 1; i < n; i++) {
      cell.probe(5, Result.SUCCESS);
      expect(cell.tickStatus(5)).toBe(Status.UNHEALTHY);
    }
    cell.probe(5, Result.SUCCESS);
    expect(cell.tickStatus(5)).toBe(Status.HEALTHY);
  });

  it('an unknown check also turns unhealthy first when N failures come first', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: n })]));
    for (let i = 1; i < n; i++) {
      cell.probe(0, Result.FAILURE);
      expect(cell.tickStatus(0)).toBe(Status.UNKNOWN);
    }
    cell.probe(0, Result.FAILURE);
    expect(cell.tickStatus(0)).toBe(Status.UNHEALTHY);
  });

  it('a run interrupted by one opposite result starts over', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: n })]));
    for (let i = 0; i < n; i++) cell.probe(0, Result.SUCCESS);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    // N-1 failures, one success, N-1 failures: never N in a row.
    for (let i = 1; i < n; i++) cell.probe(0, Result.FAILURE);
    cell.probe(0, Result.SUCCESS);
    for (let i = 1; i < n; i++) {
      cell.probe(0, Result.FAILURE);
      expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    }
    cell.probe(0, Result.FAILURE);
    // The N-th failure in a row flips it (for N = 1, every failure does).
    expect(cell.tickStatus(0)).toBe(Status.UNHEALTHY);
  });

  it('ticks with no new observation change nothing', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: n })]));
    for (let i = 0; i < n; i++) cell.probe(0, Result.FAILURE);
    for (let t = 0; t < 5; t++) expect(cell.tickStatus(0)).toBe(Status.UNHEALTHY);
    expect(cell.aggregator.stats.changes).toBe(0);
  });
});

describe('verdicts against a simple model', () => {
  it('random result sequences and thresholds: status after every tick equals the model', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.record({ result: fc.constantFrom(Result.SUCCESS, Result.FAILURE), tickAfter: fc.boolean() }), {
          maxLength: 60,
        }),
        (n, steps) => {
          const cell = aggCell(aggPlan([tcp('a', 3, { failureThreshold: n })]));
          let verdict: Status = Status.UNKNOWN;
          let last: number = Result.NONE;
          let run = 0;
          for (const step of steps) {
            cell.probe(3, step.result);
            run = step.result === last ? Math.min(run + 1, RUN_MAX) : 1;
            last = step.result;
            // The aggregator only sees the word when it ticks: the model judges only then too.
            if (step.tickAfter) {
              if (run >= n) verdict = OUTCOME[step.result];
              if (cell.tickStatus(3) !== verdict) return false;
            }
          }
          if (run >= n && last !== Result.NONE) verdict = OUTCOME[last as 1 | 2];
          return cell.tickStatus(3) === verdict;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a word of result NONE, or a run count of 0, keeps the old verdict', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: 1 })]));
    cell.word(0, Result.SUCCESS, 1);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    cell.observations.store(0, 0, 0);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    cell.word(0, Result.FAILURE, 0);
    expect(cell.tickStatus(0)).toBe(Status.HEALTHY);
    expect(cell.aggregator.verdict(0, 0)).toBe(Status.HEALTHY);
  });
});
