import { describe, expect, it } from 'vitest';
import type { Status } from '../src/table/layout.js';
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { seededRandom } from '../src/resolve/random.js';
import { buildCell, tcpChecks } from './support/cell.js';

/**
 * Weighted choice follows the weights: with seed 42 and 200,000 queries,
 * each answer's share is within 0.01 (absolute) of weight / sum of healthy
 * weights. The binomial standard deviation at these sizes is under 0.0011,
 * so 0.01 is a >9σ tolerance: it fails only when the choice is biased.
 */
const QUERIES = 200_000;
const TOLERANCE = 0.01;

function shares(weights: number[], statuses: number[]): number[] {
  const cell = buildCell(
    {
      checks: tcpChecks(weights.length),
      records: [
        {
          name: 'w.t.test',
          type: 'A',
          policy: 'weighted',
          answers: weights.map((weight, i) => ({ value: `127.0.0.${i + 1}`, weight, check: `c${i}` })),
        },
      ],
    },
    seededRandom(42),
  );
  statuses.forEach((s, i) => cell.table.set(i, s as Status));
  const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
  const counts = new Array<number>(weights.length).fill(0);
  const first = cell.plan.setFirst[0] as number;
  let notOne = 0;
  for (let q = 0; q < QUERIES; q++) {
    notOne += cell.resolver.resolveInto('w.t.test', RecordType.A, out) === 1 ? 0 : 1;
    const k = (out[0] as number) - first;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  expect(notOne).toBe(0);
  return counts.map((c) => c / QUERIES);
}

describe('weighted choice follows the weights (seed 42, ±0.01)', () => {
  it('weights 1, 2, 3, 4 all healthy', () => {
    const got = shares([1, 2, 3, 4], [1, 1, 1, 1]);
    [0.1, 0.2, 0.3, 0.4].forEach((want, i) => expect(Math.abs((got[i] as number) - want)).toBeLessThan(TOLERANCE));
  });
  it('weights 10, 255, 1, 50 with the 255 unhealthy', () => {
    const got = shares([10, 255, 1, 50], [1, 2, 1, 1]);
    [10 / 61, 0, 1 / 61, 50 / 61].forEach((want, i) =>
      expect(Math.abs((got[i] as number) - want)).toBeLessThan(TOLERANCE),
    );
  });
  it('all weights 0: equal shares', () => {
    const got = shares([0, 0, 0, 0, 0], [1, 1, 1, 1, 1]);
    got.forEach((g) => expect(Math.abs(g - 0.2)).toBeLessThan(TOLERANCE));
  });
});

// Sets over 32 answers take their own path (weightedLarge).
describe('weighted choice in a 40-answer set (the path for sets over 32)', () => {
  const n = 40;
  const weights = Array.from({ length: n }, (_, i) => (i % 5) * 10); // every fifth weighs 0
  const share = (got: number[], want: (i: number) => number) =>
    got.forEach((g, i) => expect(Math.abs(g - want(i))).toBeLessThan(TOLERANCE));

  it('by weight over the healthy answers, half of them down', () => {
    const statuses = weights.map((_, i) => (i % 2 === 0 ? 1 : 2));
    const healthySum = weights.reduce((t, w, i) => t + (i % 2 === 0 ? w : 0), 0);
    share(shares(weights, statuses), (i) => (i % 2 === 0 ? (weights[i] as number) / healthySum : 0));
  });

  it('only zero-weight answers healthy, and not all of those: equal shares among the healthy ones', () => {
    // Zero weights at 0, 5, 10, … 35; of them 0, 10, 20, 30 are healthy.
    const up = (i: number) => weights[i] === 0 && i % 2 === 0;
    share(
      shares(
        weights,
        weights.map((_, i) => (up(i) ? 1 : 2)),
      ),
      (i) => (up(i) ? 1 / 4 : 0),
    );
  });

  it('every answer down: as if all were healthy, by weight', () => {
    const sum = weights.reduce((t, w) => t + w, 0);
    share(
      shares(
        weights,
        weights.map(() => 2),
      ),
      (i) => (weights[i] as number) / sum,
    );
  });
});
