import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { Status } from '../src/table/layout.js';
import { RecordType } from '../src/config/plan.js';
import { RESOLVE_BUFFER_LENGTH } from '../src/resolve/resolver.js';
import { CidrTable } from '../src/resolve/cidr-table.js';
import { buildCellWith } from './support/ip-cell.js';

/**
 * `policy: ip` against a naive model of Route 53's rules (longest block
 * covering the client → its location's answer; unhealthy → the default;
 * both unhealthy → the match as if healthy, or nothing with answer-none),
 * and constant work: one CIDR-table lookup per query whatever the health
 * and whichever client, no random draw.
 */
const LOCATIONS = [
  { name: 'wide', cidrs: ['10.0.0.0/8'] },
  { name: 'mid', cidrs: ['10.1.0.0/16', '2001:db8::/32'] },
  { name: 'narrow', cidrs: ['10.1.2.0/24', '2001:db8:1::/48'] },
  { name: 'other', cidrs: ['192.0.2.0/24'] },
];

/** Naive: the longest block covering the client, among the locations given, by string arithmetic. */
function naiveLocation(client: string): number {
  const v4 = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  let best = -1;
  let bestLength = -1;
  LOCATIONS.forEach((loc, l) => {
    for (const block of loc.cidrs) {
      const [net, len] = block.split('/') as [string, string];
      const n = Number(len);
      if (net.includes(':') !== client.includes(':')) continue;
      let inside: boolean;
      if (net.includes(':')) {
        // Only 2001:db8::/32 and 2001:db8:1::/48 here: compare the first groups as text.
        const groups = (a: string) => a.split(':').slice(0, n / 16);
        inside = groups(net).join(':') === groups(client).join(':');
      } else {
        const shift = 32 - n;
        inside = Math.floor(v4(net) / 2 ** shift) === Math.floor(v4(client) / 2 ** shift);
      }
      if (inside && n > bestLength) {
        best = l;
        bestLength = n;
      }
    }
  });
  return best;
}

const CLIENTS = [
  '10.9.9.9',
  '10.1.9.9',
  '10.1.2.3',
  '192.0.2.7',
  '203.0.113.1',
  '2001:db8:5::1',
  '2001:db8:1::1',
  '2001:db9::1',
  '127.0.0.1',
];

describe('ip selection matches a naive model (fast-check)', () => {
  it('random statuses, which locations the set answers, fail modes and clients', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.array(fc.constantFrom(Status.HEALTHY, Status.UNHEALTHY, Status.UNKNOWN), { minLength: 5, maxLength: 5 }),
        fc.boolean(),
        fc.constantFrom(...CLIENTS),
        (uses, statuses, closed, client) => {
          const used = LOCATIONS.map((_, l) => l).filter((l) => uses[l]);
          const cell = buildCellWith(LOCATIONS, used, closed);
          statuses.forEach((s, slot) => cell.table.set(slot, s));
          cell.table.publish();
          // Answer k (k < used.length) serves location used[k]; the last answer is the default, slot 4.
          const answerOf = (l: number): number => (used.includes(l) ? used.indexOf(l) : used.length);
          const slotOf = (k: number): number => (k === used.length ? 4 : (used[k] as number));
          const healthy = (k: number): boolean => statuses[slotOf(k)] !== Status.UNHEALTHY;
          const match = answerOf(naiveLocation(client));
          const fallback = used.length;
          const want = healthy(match) ? [match] : healthy(fallback) ? [fallback] : closed ? [] : [match];
          const got = cell.resolver.resolve('ip.t.test', 'A', client);
          expect(got.addresses).toEqual(want.map((k) => `127.0.0.${k + 1}`));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('constant work', () => {
  it('one CIDR-table lookup and no random draw per query, at 0%, 50% and 100% unhealthy, for every client', () => {
    let draws = 0;
    const cell = buildCellWith(LOCATIONS, [0, 1, 2, 3], false, () => {
      draws++;
      return 0.5;
    });
    const lookups = vi.spyOn(CidrTable.prototype, 'match');
    const out = new Int32Array(RESOLVE_BUFFER_LENGTH);
    const counts: number[] = [];
    for (const down of [0, 2, 5]) {
      for (let s = 0; s < 5; s++) cell.table.set(s, s < down ? Status.UNHEALTHY : Status.HEALTHY);
      cell.table.publish();
      for (const client of [...CLIENTS, null]) {
        lookups.mockClear();
        if (client === null) cell.resolver.client.clear();
        else cell.resolver.client.setText(client);
        for (let q = 0; q < 100; q++) expect(cell.resolver.resolveInto('ip.t.test', RecordType.A, out)).toBe(1);
        counts.push(lookups.mock.calls.length);
      }
    }
    lookups.mockRestore();
    expect(new Set(counts)).toEqual(new Set([100]));
    expect(draws).toBe(0);
  });
});

describe('in-process callers pass the client', () => {
  it('resolve(name, type, client), createLookup({ client }), explain(name, { client }); none → the default', async () => {
    const { createLookup } = await import('../src/resolve/lookup.js');
    const cell = buildCellWith(LOCATIONS, [0, 1, 2], false);
    for (let s = 0; s < 5; s++) cell.table.set(s, Status.HEALTHY);
    cell.table.publish();
    expect(cell.resolver.resolve('ip.t.test', 'A', '10.1.2.3').addresses).toEqual(['127.0.0.3']);
    expect(cell.resolver.resolve('ip.t.test', 'A').addresses).toEqual(['127.0.0.4']);
    const lookup = createLookup(cell.resolver, { client: '10.1.9.9', passthrough: false });
    const address = await new Promise<string>((resolve, reject) =>
      lookup('ip.t.test', { family: 4 }, (err, a) => (err ? reject(err) : resolve(a as string))),
    );
    expect(address).toBe('127.0.0.2');
    const e = cell.resolver.explain('ip.t.test', { client: '10.1.2.3' }).recordSets[0];
    expect(e?.ip).toEqual({ client: '10.1.2.3', collection: 'net', location: 'narrow', blockLength: 24, scope: 24 });
    expect(e?.candidates.map((c) => c.location)).toEqual(['wide', 'mid', 'narrow', '*']);
    expect(e?.outcome).toBe('the answer of location narrow');
    cell.table.set(2, Status.UNHEALTHY);
    cell.table.publish();
    const down = cell.resolver.explain('ip.t.test', { client: '10.1.2.3' }).recordSets[0];
    expect(down?.outcome).toBe('the default (*) answer');
    expect(down?.candidates[3]?.reason).toMatch(/falling back to the default/);
    expect(() => cell.resolver.resolve('ip.t.test', 'A', 'not-an-ip')).toThrow(
      /client: "not-an-ip" is not an IPv4 or IPv6 address/,
    );
  });
});
