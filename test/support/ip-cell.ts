import { compileConfig } from '../../src/config/index.js';
import { StatusTable } from '../../src/table/status-table.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { seededRandom, type RandomSource } from '../../src/resolve/random.js';
import type { TestCell } from './cell.js';

/**
 * A cell whose `ip.t.test` A set routes by a collection of `locations`:
 * answer k (127.0.0.k+1, check on slot used[k]) serves location used[k];
 * the last answer is the default `*`, its check on slot 4.
 */
export function buildCellWith(
  locations: readonly { name: string; cidrs: string[] }[],
  used: readonly number[],
  closed: boolean,
  random: RandomSource = seededRandom(1),
): TestCell {
  const plan = compileConfig({
    cell: { name: 'test', capacity: 64 },
    checks: Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, slot: i, type: 'tcp', host: '127.0.0.1', port: 9 })),
    zones: [{ origin: 't.test' }],
    cidrCollections: [{ name: 'net', locations }],
    records: [
      {
        name: 'ip.t.test',
        type: 'A',
        policy: 'ip',
        cidrCollection: 'net',
        ...(closed ? { whenAllUnhealthy: 'answer-none' } : {}),
        answers: [
          ...used.map((l, k) => ({ value: `127.0.0.${k + 1}`, location: locations[l]?.name, check: `c${l}` })),
          { value: `127.0.0.${used.length + 1}`, location: '*', check: 'c4' },
        ],
      },
    ],
  });
  const table = StatusTable.create(64);
  return { plan, table, resolver: new Resolver(plan, table, { random }) };
}
