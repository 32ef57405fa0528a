import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Status } from '../src/table/layout.js';
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { seededRandom } from '../src/resolve/random.js';
import { buildCell, tcpChecks } from './support/cell.js';

/**
 * The resolver runs the same work for a name whatever its candidates'
 * health. Reads of the status table can't be counted from JavaScript, but
 * random draws can: they are the only varying-length part of a selection, so
 * an equal count at 0%, 50% and 100% unhealthy pins the loop structure.
 */
function drawsPerQuery(policy: string, n: number, unhealthyFraction: number): number {
  let draws = 0;
  const base = seededRandom(7);
  const counting = () => {
    draws++;
    return base();
  };
  const cell = buildCell(
    {
      checks: tcpChecks(n),
      records: [
        {
          name: 'x.t.test',
          type: 'A',
          policy,
          answers: Array.from({ length: n }, (_, i) => ({
            value: `127.0.0.${i + 1}`,
            ...(policy === 'weighted' ? { weight: i + 1 } : {}),
            ...(policy === 'failover' ? { role: i === 0 ? 'primary' : 'secondary' } : {}),
            ...(policy !== 'simple' ? { check: `c${i}` } : {}),
          })),
        },
      ],
    },
    counting,
  );
  const down = Math.round(n * unhealthyFraction);
  for (let i = 0; i < n; i++) cell.table.set(i, i < down ? Status.UNHEALTHY : Status.HEALTHY);
  const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
  for (let q = 0; q < 1000; q++) cell.resolver.resolveInto('x.t.test', RecordType.A, out);
  return draws / 1000;
}

describe('constant work: random draws per query do not depend on health', () => {
  for (const [policy, n] of [
    ['simple', 6],
    ['weighted', 8],
    ['failover', 2],
    ['multivalue', 12],
    ['multivalue', 5],
  ] as const) {
    it(`${policy} with ${n} answers`, () => {
      const healthy = drawsPerQuery(policy, n, 0);
      expect(drawsPerQuery(policy, n, 0.5)).toBe(healthy);
      expect(drawsPerQuery(policy, n, 1)).toBe(healthy);
    });
  }
});

/** A naive model of Route 53's eligibility rules, written as plainly as possible. */
function modelEligible(
  policy: string,
  weights: number[],
  healthy: boolean[],
  failClosed: boolean,
): { eligible: Set<number>; size: number } {
  const all = weights.map((_, i) => i);
  const up = all.filter((i) => healthy[i]);
  if (up.length === 0 && failClosed) return { eligible: new Set(), size: 0 };
  if (policy === 'multivalue') {
    const pool = up.length > 0 ? up : all;
    return { eligible: new Set(pool), size: Math.min(8, pool.length) };
  }
  // weighted
  const upNonZero = up.filter((i) => (weights[i] as number) > 0);
  if (upNonZero.length > 0) return { eligible: new Set(upNonZero), size: 1 };
  if (up.length > 0) return { eligible: new Set(up), size: 1 };
  const nonZero = all.filter((i) => (weights[i] as number) > 0);
  return { eligible: new Set(nonZero.length > 0 ? nonZero : all), size: 1 };
}

describe('selection matches a naive model of the rules (fast-check)', () => {
  it('weighted and multivalue, random weights, statuses, check kinds and fail modes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('weighted', 'multivalue'),
        fc.array(
          fc.record({
            weight: fc.integer({ min: 0, max: 255 }),
            status: fc.constantFrom(0, 1, 2),
            kind: fc.constantFrom('plain', 'none', 'inverted', 'disabled'),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.boolean(),
        fc.integer(),
        (policy, answers, failClosed, seed) => {
          const cell = buildCell(
            {
              checks: answers.map((a, i) => ({
                id: `c${i}`,
                slot: i,
                type: 'tcp',
                host: '127.0.0.1',
                port: 9,
                inverted: a.kind === 'inverted',
                disabled: a.kind === 'disabled',
              })),
              records: [
                {
                  name: 'x.t.test',
                  type: 'A',
                  policy,
                  whenAllUnhealthy: failClosed ? 'answer-none' : 'answer-all',
                  answers: answers.map((a, i) => ({
                    value: `127.0.${Math.floor(i / 200)}.${(i % 200) + 1}`,
                    ...(policy === 'weighted' ? { weight: a.weight } : {}),
                    ...(a.kind === 'none' ? {} : { check: `c${i}` }),
                  })),
                },
              ],
            },
            seededRandom(seed),
          );
          answers.forEach((a, i) => cell.table.set(i, a.status as Status));
          const healthy = answers.map((a) =>
            a.kind === 'none' || a.kind === 'disabled' ? true : a.kind === 'inverted' ? a.status === 1 : a.status !== 2,
          );
          const want = modelEligible(
            policy,
            answers.map((a) => a.weight),
            healthy,
            failClosed,
          );
          const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
          const first = cell.plan.setFirst[0] as number;
          for (let q = 0; q < 20; q++) {
            const count = cell.resolver.resolveInto('x.t.test', RecordType.A, out);
            expect(count).toBe(want.size);
            const got = Array.from(out.subarray(0, count), (i) => i - first);
            expect(new Set(got).size).toBe(count);
            for (const g of got) expect(want.eligible.has(g)).toBe(true);
          }
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
  });
});

describe('sets side by side: a small set never answers with, or weighs, its neighbours (fast-check)', () => {
  // Sets of up to 8 answers read 8 answer words from their first and mask
  // out what lies past the set: the next set's answers, or the padding after
  // the last. Neighbours with other weights and health must change nothing.
  it('every set answers from its own eligible answers, whatever the sets around it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            failClosed: fc.boolean(),
            answers: fc.array(
              fc.record({ weight: fc.integer({ min: 0, max: 255 }), status: fc.constantFrom(0, 1, 2) }),
              { minLength: 1, maxLength: 10 },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer(),
        (sets, seed) => {
          let slot = 0;
          const slots = sets.map((s) => s.answers.map(() => slot++));
          const cell = buildCell(
            {
              checks: tcpChecks(slot),
              records: sets.map((s, j) => ({
                name: `s${j}.t.test`,
                type: 'A',
                policy: 'weighted',
                whenAllUnhealthy: s.failClosed ? 'answer-none' : 'answer-all',
                answers: s.answers.map((a, i) => ({
                  value: `127.0.${j}.${i + 1}`,
                  weight: a.weight,
                  check: `c${(slots[j] as number[])[i]}`,
                })),
              })),
            },
            seededRandom(seed),
          );
          sets.forEach((s, j) =>
            s.answers.forEach((a, i) => cell.table.set((slots[j] as number[])[i] as number, a.status as Status)),
          );
          const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
          sets.forEach((s, j) => {
            const want = modelEligible(
              'weighted',
              s.answers.map((a) => a.weight),
              s.answers.map((a) => a.status !== 2),
              s.failClosed,
            );
            for (let q = 0; q < 10; q++) {
              const count = cell.resolver.resolveInto(`s${j}.t.test`, RecordType.A, out);
              expect(count).toBe(want.size);
              if (count === 1) {
                const value = cell.plan.answerValue[out[0] as number] as string;
                expect(value.startsWith(`127.0.${j}.`)).toBe(true);
                expect(want.eligible.has(Number(value.split('.')[3]) - 1)).toBe(true);
              }
            }
          });
        },
      ),
      { numRuns: 300, seed: 20261124 },
    );
  });
});

describe('constant work in alias trees: every set of the tree is evaluated on every query', () => {
  /** Draws per query for a weighted-of-(weighted, failover) tree whose first `down` checks are unhealthy. */
  function treeDraws(down: number): number {
    let draws = 0;
    const base = seededRandom(9);
    const counting = () => {
      draws++;
      return base();
    };
    const region = (name: string, from: number, policy: 'weighted' | 'failover') => ({
      name: `${name}.t.test`,
      type: 'A',
      policy,
      answers: Array.from({ length: policy === 'failover' ? 2 : 4 }, (_, i) => ({
        value: `127.0.${from + 1}.${i + 1}`,
        check: `c${from + i}`,
        ...(policy === 'weighted' ? { weight: i + 1 } : { role: i === 0 ? 'primary' : 'secondary' }),
      })),
    });
    const cell = buildCell(
      {
        checks: tcpChecks(8),
        records: [
          region('eu', 0, 'weighted'),
          region('us', 4, 'failover'),
          {
            name: 'x.t.test',
            type: 'A',
            policy: 'weighted',
            answers: [
              { alias: 'eu.t.test', evaluateTargetHealth: true, weight: 1 },
              { alias: 'us.t.test', evaluateTargetHealth: true, weight: 1 },
            ],
          },
        ],
      },
      counting,
    );
    for (let i = 0; i < 8; i++) cell.table.set(i, i < down ? Status.UNHEALTHY : Status.HEALTHY);
    const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
    for (let q = 0; q < 1000; q++) cell.resolver.resolveInto('x.t.test', RecordType.A, out);
    return draws / 1000;
  }

  it('the same draws per query whichever branch is chosen: every set selects, on the path or not', () => {
    // 0 down: eu (weighted) answers; 4 down: every eu answer is down, us (failover)
    // answers; 8 down: all down, answered as if all were healthy. The root's draw
    // and eu's run in every state.
    const healthy = treeDraws(0);
    expect(healthy).toBe(2);
    expect(treeDraws(4)).toBe(healthy);
    expect(treeDraws(8)).toBe(healthy);
  });
});
