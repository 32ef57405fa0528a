import { describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
import { buildCell, tcpChecks } from './support/cell.js';

/**
 * Every policy × every health state, as Route 53 documents them. Each row
 * says which addresses a query may return ("eligible") and, for policies that
 * return several, how many a single answer holds.
 */
type State =
  | 'all healthy'
  | 'some unhealthy'
  | 'all unhealthy'
  | 'no checks'
  | 'unknown'
  | 'disabled'
  | 'inverted'
  | 'inverted, result healthy';

const ADDRS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

interface Setup {
  checkExtra: Record<string, unknown>;
  attachChecks: boolean;
  statuses: number[];
}

function setupFor(state: State): Setup {
  const H = Status.HEALTHY;
  const U = Status.UNHEALTHY;
  const K = Status.UNKNOWN;
  switch (state) {
    case 'all healthy':
      return { checkExtra: {}, attachChecks: true, statuses: [H, H, H, H] };
    case 'some unhealthy':
      // the primary (index 0) and index 2 are down
      return { checkExtra: {}, attachChecks: true, statuses: [U, H, U, H] };
    case 'all unhealthy':
      return { checkExtra: {}, attachChecks: true, statuses: [U, U, U, U] };
    case 'no checks':
      // statuses say down, but no answer references a check
      return { checkExtra: {}, attachChecks: false, statuses: [U, U, U, U] };
    case 'unknown':
      return { checkExtra: {}, attachChecks: true, statuses: [K, K, K, K] };
    case 'disabled':
      return { checkExtra: { disabled: true }, attachChecks: true, statuses: [U, U, U, U] };
    case 'inverted':
      // no result yet: an inverted check counts unhealthy
      return { checkExtra: { inverted: true }, attachChecks: true, statuses: [K, K, K, K] };
    case 'inverted, result healthy':
      // the aggregator writes the inverted status; healthy means healthy
      return { checkExtra: { inverted: true }, attachChecks: true, statuses: [H, H, H, H] };
  }
}

function answers(policy: string, n: number, attach: boolean): unknown[] {
  return ADDRS.slice(0, n).map((value, i) => ({
    value,
    ...(policy === 'weighted' ? { weight: i + 1 } : {}),
    ...(policy === 'failover' ? { role: i === 0 ? 'primary' : 'secondary' } : {}),
    ...(attach && policy !== 'simple' ? { check: `c${i}` } : {}),
  }));
}

/** Runs 400 queries; returns the set of addresses seen and the answer sizes seen. */
function sample(policy: string, state: State, whenAllUnhealthy: 'answer-all' | 'answer-none') {
  const n = policy === 'failover' ? 2 : 4;
  const s = setupFor(state);
  const cell = buildCell({
    checks: tcpChecks(4, s.checkExtra),
    records: [
      {
        name: 'x.t.test',
        type: 'A',
        policy,
        ...(policy === 'simple' ? {} : { whenAllUnhealthy }),
        answers: answers(policy, n, s.attachChecks),
      },
    ],
  });
  s.statuses.forEach((st, slot) => cell.table.set(slot, st as Status));
  const seen = new Set<string>();
  const sizes = new Set<number>();
  for (let q = 0; q < 400; q++) {
    const r = cell.resolver.resolve('x.t.test', 'A');
    expect(r.status).toBe('ok');
    expect(new Set(r.addresses).size).toBe(r.addresses.length); // never a duplicate
    r.addresses.forEach((a) => seen.add(a));
    sizes.add(r.addresses.length);
  }
  return { seen: [...seen].sort(), sizes: [...sizes].sort() };
}

const A = ADDRS;
// healthy-behaviour expectations, reused for states where every answer counts healthy
const allUp = {
  simple: { seen: A, sizes: [4] },
  weighted: { seen: A, sizes: [1] },
  failover: { seen: [A[0]], sizes: [1] },
  multivalue: { seen: A, sizes: [4] },
};
const allDownAnswerAll = {
  simple: { seen: A, sizes: [4] },
  weighted: { seen: A, sizes: [1] },
  failover: { seen: [A[0]], sizes: [1] },
  multivalue: { seen: A, sizes: [4] },
};

const table: Record<State, Record<string, { seen: (string | undefined)[]; sizes: number[] }>> = {
  'all healthy': allUp,
  'some unhealthy': {
    simple: { seen: A, sizes: [4] },
    weighted: { seen: [A[1], A[3]], sizes: [1] },
    failover: { seen: [A[1]], sizes: [1] },
    multivalue: { seen: [A[1], A[3]], sizes: [2] },
  },
  'all unhealthy': allDownAnswerAll,
  'no checks': allUp,
  unknown: allUp,
  disabled: allUp,
  inverted: allDownAnswerAll,
  'inverted, result healthy': allUp,
};

const allDownStates: State[] = ['all unhealthy', 'inverted'];

describe('resolve: policy × health state (whenAllUnhealthy: answer-all)', () => {
  for (const [state, row] of Object.entries(table) as [State, (typeof table)[State]][]) {
    for (const [policy, want] of Object.entries(row)) {
      it(`${policy} / ${state}`, () => {
        expect(sample(policy, state, 'answer-all')).toEqual({ seen: want.seen, sizes: want.sizes });
      });
    }
  }
});

describe('resolve: whenAllUnhealthy answer-none fails closed only when every candidate is down', () => {
  for (const state of Object.keys(table) as State[]) {
    for (const policy of ['weighted', 'failover', 'multivalue']) {
      it(`${policy} / ${state}`, () => {
        const got = sample(policy, state, 'answer-none');
        if (allDownStates.includes(state)) {
          expect(got).toEqual({ seen: [], sizes: [0] });
        } else {
          const want = table[state][policy] as { seen: string[]; sizes: number[] };
          expect(got).toEqual({ seen: want.seen, sizes: want.sizes });
        }
      });
    }
  }
});
