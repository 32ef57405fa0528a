import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type dnsPacket from 'dns-packet';
import { Status, type Status as StatusValue } from '../src/table/layout.js';
import { respondViaSlowPath } from '../src/dns/index.js';
import { TYPE, buildQuery, decode, dnsCell, optOf, rcodeOf, type QueryOptions } from './support/dns.js';

/**
 * The fast path (bytes read by hand) and the slow path (dns-packet) must
 * give the same reply to every query the fast path takes. Two cells with
 * the same seed see the same queries and statuses, so their resolvers make
 * the same choices; one answers through `respond` (and must take the fast
 * path), the other through `respondViaSlowPath`.
 */

const fast = dnsCell({}, 7);
const slow = dnsCell({}, 7);

const NAMES = [
  ...fast.plan.setName,
  ...fast.plan.zones.map((z) => z.origin),
  'b.demo.test', // empty non-terminal
  'nope.demo.test',
  'x.y.other.test',
  'example.com',
  'test',
];

const nameArb = fc
  .tuple(fc.constantFrom(...NAMES), fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }))
  .map(([name, upper]) => [...name].map((ch, i) => (upper[i % 32] ? ch.toUpperCase() : ch)).join(''));

const typeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(TYPE.A, TYPE.AAAA) },
  { weight: 1, arbitrary: fc.constantFrom(TYPE.SOA, TYPE.NS, TYPE.MX, TYPE.HTTPS, TYPE.ANY, TYPE.AXFR) },
);

const optionsArb: fc.Arbitrary<QueryOptions> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  flagsHigh: fc.constantFrom(0x00, 0x01), // RD
  flagsLow: fc.constantFrom(0x00, 0x10, 0x20), // CD, AD
  edns: fc.option(fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.constantFrom(512, 1232, 65535)), { nil: undefined }),
  ednsOptions: fc.constantFrom([], [{ code: 10, data: Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]) }]),
});

const statusesArb = fc.array(fc.constantFrom<StatusValue>(Status.UNKNOWN, Status.HEALTHY, Status.UNHEALTHY), {
  minLength: 8,
  maxLength: 8,
});

function summary(p: dnsPacket.DecodedPacket) {
  const rr = (a: dnsPacket.Answer) => JSON.stringify(a);
  return {
    id: p.id,
    flags: p.flags,
    rcode: rcodeOf(p),
    questions: p.questions,
    answers: new Set((p.answers ?? []).map(rr)),
    answerCount: p.answers?.length,
    authorities: p.authorities,
    opt: optOf(p),
    additionals: p.additionals?.length,
  };
}

describe('fast path and slow path give the same replies', () => {
  it('for random names, cases, types, EDNS sizes and statuses', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        nameArb,
        typeArb,
        optionsArb,
        statusesArb,
        fc.constantFrom('udp' as const, 'tcp' as const),
        (name, type, options, statuses, transport) => {
          const o = { ...options };
          if (o.edns === undefined) delete o.ednsOptions;
          statuses.forEach((s, slot) => {
            fast.table.set(slot, s);
            slow.table.set(slot, s);
          });
          const query = buildQuery(name, type, o);
          const before = fast.responder.counters.fastPath;
          const a = fast.responder.respond(query, transport);
          const b = respondViaSlowPath(slow.responder, query, transport);
          expect(fast.responder.counters.fastPath).toBe(before + 1);
          expect(a).not.toBeNull();
          expect(b).not.toBeNull();
          expect(summary(decode(a))).toEqual(summary(decode(b)));
          // Same resolver choices, one encoder: the same bytes.
          expect(a?.equals(b as Buffer)).toBe(true);
          runs++;
        },
      ),
      { seed: 20260101, numRuns: 3000 },
    );
    expect(runs).toBe(3000);
    const f = fast.responder.counters;
    const s = slow.responder.counters;
    expect(f.fastPath).toBe(f.queries);
    expect(f.slowPath).toBe(0);
    expect(s.slowPath).toBe(s.queries);
    expect(s.fastPath).toBe(0);
    // Every kind of reply was exercised, on both paths alike.
    for (const key of ['noerror', 'nodata', 'nxdomain', 'refused', 'truncated'] as const) {
      expect(f[key]).toBeGreaterThan(0);
      expect(s[key]).toBe(f[key]);
    }
  });

  it('a query the fast path leaves only for its shape (bytes after the question) is answered by the slow path', () => {
    const cell = dnsCell();
    const q = Buffer.concat([buildQuery('www.demo.test', TYPE.A), Buffer.from([1, 2, 3])]);
    const p = decode(cell.responder.respond(q, 'udp'));
    expect(p.answers).toHaveLength(1);
    expect(cell.responder.counters).toMatchObject({ slowPath: 1, fastPath: 0 });
  });
});
