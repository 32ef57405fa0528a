import { describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
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
      records: [{ name: 'w.t.test', type: 'A', policy: 'weighted', answers: weights.map((weight, i) => ({ value: `127.0.0.${i + 1}`, weight, check: `c${i}` })) }],
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
    [10 / 61, 0, 1 / 61, 50 / 61].forEach((want, i) => expect(Math.abs((got[i] as number) - want)).toBeLessThan(TOLERANCE));
  });
  it('all weights 0: equal shares', () => {
    const got = shares([0, 0, 0, 0, 0], [1, 1, 1, 1, 1]);
    got.forEach((g) => expect(Math.abs(g - 0.2)).toBeLessThan(TOLERANCE));
  });
});
