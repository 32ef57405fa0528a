import { describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
import { RecordType } from '../src/config/plan.js';
import { ResolveCode, RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { buildCell, tcpChecks } from './support/cell.js';

const H = Status.HEALTHY;
const U = Status.UNHEALTHY;

function seen(cell: ReturnType<typeof buildCell>, name: string, queries = 500): Map<string, number> {
  const counts = new Map<string, number>();
  for (let q = 0; q < queries; q++) {
    for (const a of cell.resolver.resolve(name, 'A').addresses) counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return counts;
}

function weighted(weights: number[], statuses: number[]) {
  const cell = buildCell({
    checks: tcpChecks(weights.length),
    records: [
      {
        name: 'w.t.test',
        type: 'A',
        policy: 'weighted',
        answers: weights.map((weight, i) => ({ value: `127.0.0.${i + 1}`, weight, check: `c${i}` })),
      },
    ],
  });
  statuses.forEach((s, i) => cell.table.set(i, s as Status));
  return [...seen(cell, 'w.t.test').keys()].sort();
}

describe('weighted: zero weights and all-unhealthy', () => {
  it('zero-weight answers are not used while a non-zero answer is healthy', () => {
    expect(weighted([0, 5, 0], [H, H, H])).toEqual(['127.0.0.2']);
  });
  it('zero-weight answers share equally once every non-zero answer is unhealthy', () => {
    expect(weighted([0, 5, 0], [H, U, H])).toEqual(['127.0.0.1', '127.0.0.3']);
  });
  it('an unhealthy zero-weight answer stays out even then', () => {
    expect(weighted([0, 5, 0], [U, U, H])).toEqual(['127.0.0.3']);
  });
  it('all weights 0 gives equal shares among the healthy', () => {
    expect(weighted([0, 0, 0], [H, U, H])).toEqual(['127.0.0.1', '127.0.0.3']);
  });
  it('all unhealthy answers by weight as if all were healthy (zero weights still out)', () => {
    expect(weighted([0, 5, 3], [U, U, U])).toEqual(['127.0.0.2', '127.0.0.3']);
  });
  it('all unhealthy with every weight 0 answers all in equal shares', () => {
    expect(weighted([0, 0, 0], [U, U, U])).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });
});

describe('failover', () => {
  it('a primary without a secondary is answered even when unhealthy', () => {
    const cell = buildCell({
      checks: tcpChecks(1),
      records: [
        {
          name: 'f.t.test',
          type: 'A',
          policy: 'failover',
          answers: [{ value: '127.0.0.1', role: 'primary', check: 'c0' }],
        },
      ],
    });
    cell.table.set(0, U);
    expect(cell.resolver.resolve('f.t.test').addresses).toEqual(['127.0.0.1']);
  });
  it('a secondary without a check counts as healthy', () => {
    const cell = buildCell({
      checks: tcpChecks(1),
      records: [
        {
          name: 'f.t.test',
          type: 'A',
          policy: 'failover',
          answers: [
            { value: '127.0.0.2', role: 'secondary' },
            { value: '127.0.0.1', role: 'primary', check: 'c0' },
          ],
        },
      ],
    });
    expect(cell.resolver.resolve('f.t.test').addresses).toEqual(['127.0.0.1']);
    cell.table.set(0, U);
    expect(cell.resolver.resolve('f.t.test').addresses).toEqual(['127.0.0.2']);
    cell.table.set(0, H);
    expect(cell.resolver.resolve('f.t.test').addresses).toEqual(['127.0.0.1']);
  });
});

describe('multivalue', () => {
  const twelve = (statuses: number[]) => {
    const cell = buildCell({
      checks: tcpChecks(12),
      records: [
        {
          name: 'm.t.test',
          type: 'A',
          policy: 'multivalue',
          answers: statuses.map((_, i) => ({ value: `127.0.0.${i + 1}`, check: `c${i}` })),
        },
      ],
    });
    statuses.forEach((s, i) => cell.table.set(i, s as Status));
    return cell;
  };
  it('returns at most 8 distinct healthy answers and, over many queries, all of them', () => {
    const cell = twelve(Array(12).fill(H));
    for (let q = 0; q < 200; q++) {
      const r = cell.resolver.resolve('m.t.test');
      expect(r.addresses.length).toBe(8);
      expect(new Set(r.addresses).size).toBe(8);
    }
    expect(seen(cell, 'm.t.test').size).toBe(12);
  });
  it('returns exactly the healthy ones when fewer than 8 are healthy', () => {
    const st = Array(12).fill(U);
    st[2] = H;
    st[7] = H;
    st[11] = H;
    const cell = twelve(st);
    for (let q = 0; q < 50; q++) {
      expect(cell.resolver.resolve('m.t.test').addresses.sort()).toEqual(['127.0.0.12', '127.0.0.3', '127.0.0.8']);
    }
  });
  it('with none healthy returns 8 of the unhealthy ones, all of them over time', () => {
    const cell = twelve(Array(12).fill(U));
    for (let q = 0; q < 50; q++) expect(cell.resolver.resolve('m.t.test').addresses.length).toBe(8);
    expect(seen(cell, 'm.t.test').size).toBe(12);
  });
});

describe('names', () => {
  const cell = buildCell({
    records: [
      { name: 'a.t.test', type: 'A', answers: [{ value: '127.0.0.1' }] },
      { name: 'six.t.test', type: 'AAAA', answers: [{ value: '::1' }] },
    ],
  });
  it('ignores case and a trailing dot', () => {
    expect(cell.resolver.resolve('A.T.Test.', 'A').addresses).toEqual(['127.0.0.1']);
    expect(cell.resolver.resolve('six.t.test', 'AAAA').addresses).toEqual(['::1']);
  });
  it('tells NODATA, NXDOMAIN and REFUSED apart', () => {
    const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
    expect(cell.resolver.resolveInto('a.t.test', RecordType.AAAA, out)).toBe(ResolveCode.NODATA);
    expect(cell.resolver.resolveInto('t.test', RecordType.A, out)).toBe(ResolveCode.NODATA);
    expect(cell.resolver.resolveInto('nope.t.test', RecordType.A, out)).toBe(ResolveCode.NXDOMAIN);
    expect(cell.resolver.resolveInto('example.com', RecordType.A, out)).toBe(ResolveCode.REFUSED);
    expect(cell.resolver.resolveInto('xt.test', RecordType.A, out)).toBe(ResolveCode.REFUSED);
    expect(cell.resolver.resolve('nope.t.test').status).toBe('nxdomain');
  });
});
