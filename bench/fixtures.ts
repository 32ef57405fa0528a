import { compileConfig } from '../src/config/compile.js';
import { POLICY_NAMES, type PolicyName, type Plan } from '../src/config/plan.js';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';
import { Resolver } from '../src/resolve/resolver.js';
import type { RandomSource } from '../src/resolve/random.js';

/** A one-name cell for micro-benchmarks: `bench.t.test` with `answers` candidates under `policy`. */
export interface BenchCell {
  readonly plan: Plan;
  readonly table: StatusTable;
  readonly resolver: Resolver;
  readonly name: string;
}

/**
 * Builds the benchmark cell: `answers` loopback candidates (a failover set
 * always has 2), each with its own tcp check, and sets the first
 * round(unhealthyFraction × n) checks UNHEALTHY, the rest HEALTHY.
 */
export function benchCell(
  policy: PolicyName,
  answers: number,
  unhealthyFraction: number,
  random?: RandomSource,
): BenchCell {
  const n = policy === 'failover' ? 2 : answers;
  const plan = compileConfig({
    cell: { name: 'bench', capacity: 16_384 },
    checks: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, slot: i, type: 'tcp', host: '127.0.0.1', port: 9 })),
    zones: [{ origin: 't.test' }],
    records: [
      {
        name: 'bench.t.test',
        type: 'A',
        policy,
        answers: Array.from({ length: n }, (_, i) => ({
          value: `127.0.1.${i + 1}`,
          ...(policy === 'weighted' ? { weight: 10 + i } : {}),
          ...(policy === 'failover' ? { role: i === 0 ? 'primary' : 'secondary' } : {}),
          ...(policy === 'simple' ? {} : { check: `c${i}` }),
        })),
      },
    ],
  });
  const table = StatusTable.create(16_384);
  const resolver = new Resolver(plan, table, random === undefined ? {} : { random });
  const cell = { plan, table, resolver, name: 'bench.t.test' };
  setUnhealthyFraction(cell, unhealthyFraction);
  return cell;
}

/** Sets the first round(unhealthyFraction × n) of the cell's n checks UNHEALTHY, the rest HEALTHY. */
export function setUnhealthyFraction(cell: BenchCell, unhealthyFraction: number): void {
  const n = cell.plan.checks.length;
  const down = Math.round(n * unhealthyFraction);
  for (let i = 0; i < n; i++) cell.table.set(i, i < down ? Status.UNHEALTHY : Status.HEALTHY);
  cell.table.publish();
}

export const BENCH_POLICIES: readonly PolicyName[] = POLICY_NAMES;
