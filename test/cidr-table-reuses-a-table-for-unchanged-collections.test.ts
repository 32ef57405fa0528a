import { describe, expect, it } from 'vitest';
import { CidrTableError, cidrTableKey, compileCidrTable, reuseOrCompileCidrTable } from '../src/resolve/cidr-table.js';

/**
 * The config is re-applied every pass; a table compiled from the same
 * collections is kept (same object), anything else compiles anew.
 */
describe('reuseOrCompileCidrTable keeps a table whose collections are unchanged', () => {
  const collections = [{ cidrs: ['10.0.0.0/8', '2001:db8::/32'] }, { cidrs: ['10.1.0.0/16'] }];

  it('returns the previous table for equal collections (a fresh copy of the config)', () => {
    const first = reuseOrCompileCidrTable(collections, null);
    const again = reuseOrCompileCidrTable(structuredClone(collections), first);
    expect(again).toBe(first);
    expect(compileCidrTable(collections).key).toBe(first.key);
  });

  it.each([
    ['a block changed', [{ cidrs: ['10.0.0.0/8', '2001:db8::/32'] }, { cidrs: ['10.2.0.0/16'] }]],
    ['a block moved to another collection', [{ cidrs: ['10.0.0.0/8', '2001:db8::/32', '10.1.0.0/16'] }, { cidrs: [] }]],
    ['collections reordered', [{ cidrs: ['10.1.0.0/16'] }, { cidrs: ['10.0.0.0/8', '2001:db8::/32'] }]],
    ['a collection added', [...collections, { cidrs: ['192.0.2.0/24'] }]],
  ])('compiles anew when %s', (_, changed) => {
    const first = reuseOrCompileCidrTable(collections, null);
    const next = reuseOrCompileCidrTable(changed, first);
    expect(next).not.toBe(first);
    expect(next.key).toBe(cidrTableKey(changed));
    expect(next.matchText('10.1.2.3')?.collection).toBe(compileCidrTable(changed).matchText('10.1.2.3')?.collection);
  });

  it('keys text and non-text apart, so a bad value is still reported', () => {
    const good = reuseOrCompileCidrTable([{ cidrs: ['10.0.0.0/8'] }], null);
    expect(cidrTableKey([{ cidrs: [42 as unknown as string] }])).not.toBe(cidrTableKey([{ cidrs: ['42'] }]));
    expect(() => reuseOrCompileCidrTable([{ cidrs: ['10.0.0.1/8'] }], good)).toThrow(CidrTableError);
  });
});
