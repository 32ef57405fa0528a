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

/** `count` tcp checks c0, c1, … on slots 0, 1, … (never probed: a bench sets their statuses directly). */
function benchChecks(count: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `c${i}`, slot: i, type: 'tcp', host: '127.0.0.1', port: 9 }));
}

/**
 * Builds the benchmark cell: `answers` loopback candidates (a failover set
 * always has 2), each with its own tcp check, and sets the first
 * round(unhealthyFraction × n) checks UNHEALTHY, the rest HEALTHY.
 */
export function benchCell(
  policy: BenchPolicy,
  answers: number,
  unhealthyFraction: number,
  random?: RandomSource,
): BenchCell {
  if (policy === 'tree') return benchTreeCell(answers, unhealthyFraction, random);
  if (policy === 'ip') return benchIpCell(answers, unhealthyFraction, random);
  const n = policy === 'failover' ? 2 : answers;
  const plan = compileConfig({
    cell: { name: 'bench', capacity: 16_384 },
    checks: benchChecks(n),
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

/**
 * The alias-tree cell (`tree` rows): `bench.t.test` is a failover set whose
 * primary and secondary are aliases with evaluateTargetHealth to weighted
 * sets of `answers` candidates each (eu, us), every candidate with its own
 * check: 2 × answers checks, the first round(unhealthyFraction × 2n) down
 * (at 50% every eu candidate, so the secondary answers; at 100% all, so
 * Route 53's "all unhealthy → as if all healthy" runs at both levels).
 */
function benchTreeCell(answers: number, unhealthyFraction: number, random?: RandomSource): BenchCell {
  const region = (name: string, from: number) => ({
    name: `${name}.t.test`,
    type: 'A',
    policy: 'weighted',
    answers: Array.from({ length: answers }, (_, i) => ({
      value: `127.0.${from === 0 ? 1 : 2}.${i + 1}`,
      weight: 10 + i,
      check: `c${from + i}`,
    })),
  });
  const plan = compileConfig({
    cell: { name: 'bench', capacity: 16_384 },
    checks: benchChecks(2 * answers),
    zones: [{ origin: 't.test' }],
    records: [
      region('eu', 0),
      region('us', answers),
      {
        name: 'bench.t.test',
        type: 'A',
        policy: 'failover',
        answers: [
          { alias: 'eu.t.test', evaluateTargetHealth: true, role: 'primary' },
          { alias: 'us.t.test', evaluateTargetHealth: true, role: 'secondary' },
        ],
      },
    ],
  });
  const table = StatusTable.create(16_384);
  const resolver = new Resolver(plan, table, random === undefined ? {} : { random });
  const cell = { plan, table, resolver, name: 'bench.t.test' };
  setUnhealthyFraction(cell, unhealthyFraction);
  return cell;
}

/**
 * The IP-based cell (`ip` rows): `bench.t.test` answers by a collection of
 * `answers - 1` locations (10.0.k.0/24, and 2001:db8:k::/48) plus the
 * default, each answer with its own check; the resolver's client is
 * 10.0.0.7, in the first location. At 50% the first answers are down, so
 * the client's answer falls back to the (healthy) default; at 100% both
 * are down and the match is answered as if healthy.
 */
function benchIpCell(answers: number, unhealthyFraction: number, random?: RandomSource): BenchCell {
  const locations = answers - 1;
  const plan = compileConfig({
    cell: { name: 'bench', capacity: 16_384 },
    checks: benchChecks(answers),
    zones: [{ origin: 't.test' }],
    cidrCollections: [
      {
        name: 'bench',
        locations: Array.from({ length: locations }, (_, k) => ({
          name: `l${k}`,
          cidrs: [`10.0.${k}.0/24`, `2001:db8:${k}::/48`],
        })),
      },
    ],
    records: [
      {
        name: 'bench.t.test',
        type: 'A',
        policy: 'ip',
        cidrCollection: 'bench',
        answers: Array.from({ length: answers }, (_, i) => ({
          value: `127.0.1.${i + 1}`,
          location: i < locations ? `l${i}` : '*',
          check: `c${i}`,
        })),
      },
    ],
  });
  const table = StatusTable.create(16_384);
  const resolver = new Resolver(plan, table, random === undefined ? {} : { random });
  resolver.client.setText('10.0.0.7');
  const cell = { plan, table, resolver, name: 'bench.t.test' };
  setUnhealthyFraction(cell, unhealthyFraction);
  return cell;
}

/** A routing policy, or `tree`: failover → weighted via aliases (see benchTreeCell). */
export type BenchPolicy = PolicyName | 'tree';
export const BENCH_POLICIES: readonly BenchPolicy[] = [...POLICY_NAMES, 'tree'];
