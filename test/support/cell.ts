import { compileConfig } from '../../src/config/index.js';
import type { Plan } from '../../src/config/plan.js';
import { StatusTable } from '../../src/table/status-table.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { seededRandom, type RandomSource } from '../../src/resolve/random.js';

/** A compiled test cell: plan, fresh status table (all unknown) and a seeded resolver. */
export interface TestCell {
  plan: Plan;
  table: StatusTable;
  resolver: Resolver;
}

/** Builds a cell from parts of a config document, in zone `t.test`, capacity 64. */
export function buildCell(
  parts: { checks?: unknown[]; records: unknown[] },
  random: RandomSource = seededRandom(1),
): TestCell {
  const plan = compileConfig({
    cell: { name: 'test', capacity: 64 },
    checks: parts.checks ?? [],
    zones: [{ origin: 't.test' }],
    records: parts.records,
  });
  const table = StatusTable.create(64);
  const resolver = new Resolver(plan, table, { random });
  return { plan, table, resolver };
}

/** `count` tcp checks c0..c{count-1} on slots 0.., with extra fields merged in. */
export function tcpChecks(count: number, extra: Record<string, unknown> = {}): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `c${i}`,
    slot: i,
    type: 'tcp',
    host: '127.0.0.1',
    port: 9,
    ...extra,
  }));
}
