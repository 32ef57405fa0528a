import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { Resolver } from '../src/resolve/resolver.js';
import { Responder, respondViaSlowPath } from '../src/dns/index.js';
import { TYPE, buildQuery, decode, optOf, rcodeOf } from './support/dns.js';

/**
 * ECS queries, valid and malformed, get the same reply byte for byte from
 * the fast path and the slow path (two responders, same seed and plan),
 * whichever source address the server passes; a malformed option is FORMERR
 * on both; a valid one is echoed with the scope of the ip set's match.
 */
const plan = compileConfig({
  cell: { name: 'ecs', capacity: 8 },
  checks: [{ id: 'eu', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 }],
  zones: [{ origin: 'ecs.test' }],
  cidrCollections: [
    {
      name: 'c',
      locations: [
        { name: 'eu', cidrs: ['192.0.2.0/24', '2001:db8::/32'] },
        { name: 'wide', cidrs: ['10.0.0.0/8'] },
      ],
    },
  ],
  records: [
    {
      name: 'www.ecs.test',
      type: 'A',
      policy: 'ip',
      cidrCollection: 'c',
      answers: [
        { value: '10.9.0.1', location: 'eu', check: 'eu' },
        { value: '10.9.0.2', location: 'wide' },
        { value: '10.9.0.9', location: '*' },
      ],
    },
    { name: 'plain.ecs.test', type: 'A', answers: [{ value: '10.9.1.1' }] },
  ],
});

function responder(): Responder {
  const table = StatusTable.create(8);
  table.set(1, Status.HEALTHY);
  table.publish();
  return new Responder(new Resolver(plan, table, { seed: 3 }));
}

/** An ECS option's bytes: family, source, scope, then the address bytes given. */
const ecs = (family: number, source: number, scope: number, address: number[]) => ({
  code: 8,
  data: Uint8Array.from([0, family, source, scope, ...address]),
});

describe('the same replies on both paths', () => {
  it('random ECS options, good and bad, names, and source addresses (fast-check)', () => {
    const fast = responder();
    const slow = responder();
    const option = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 0, max: 32 }),
          fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        )
        .map(([source, a]) => {
          const bytes = (source + 7) >> 3;
          const address = a.slice(0, bytes);
          if (bytes > 0) address[bytes - 1] = (address[bytes - 1] as number) & ((0xff << (8 * bytes - source)) & 0xff);
          return ecs(1, source, 0, address);
        }),
      fc.constantFrom(
        ecs(1, 24, 0, [192, 0, 2]),
        ecs(2, 48, 0, [0x20, 0x01, 0x0d, 0xb8, 0, 1]),
        ecs(1, 24, 5, [192, 0, 2]), // scope in a query
        ecs(3, 24, 0, [192, 0, 2]), // unknown family
        ecs(1, 33, 0, [192, 0, 2, 1, 0]), // source too long
        ecs(1, 24, 0, [192, 0]), // too few address bytes
        ecs(1, 23, 0, [192, 0, 3]), // a bit past source
        { code: 8, data: Uint8Array.from([0, 1]) }, // too short
      ),
    );
    fc.assert(
      fc.property(
        option,
        fc.constantFrom('www.ecs.test', 'plain.ecs.test', 'none.ecs.test'),
        fc.constantFrom(undefined, '127.0.0.1', '10.1.1.1', '2001:db8::5'),
        fc.integer({ min: 0, max: 0xffff }),
        (opt, name, source, id) => {
          const q = buildQuery(name, TYPE.A, { id, edns: 1232, ednsOptions: [opt] });
          const a = fast.respond(q, 'udp', source);
          const b = respondViaSlowPath(slow, q, 'udp');
          // The slow path here had no source: compare against one given the same.
          const c = slow.respondSlow(q, 'udp', source);
          expect(Buffer.compare(a as Buffer, c as Buffer)).toBe(0);
          if (source === undefined) expect(Buffer.compare(a as Buffer, b as Buffer)).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
    // Good options took the fast path, bad ones fell to the slow path (FORMERR).
    expect(fast.counters.fastPath).toBeGreaterThan(0);
    expect(fast.counters.formerr).toBeGreaterThan(0);
    expect(fast.counters.formerr).toBe(fast.counters.slowPath);
  });

  it('bad options are FORMERR; a good one is echoed with the match scope; the source routes only without ECS', () => {
    const r = responder();
    const ask = (opts: ReturnType<typeof ecs>[], source?: string) =>
      decode(r.respond(buildQuery('www.ecs.test', TYPE.A, { edns: 1232, ednsOptions: opts }), 'udp', source));
    expect(rcodeOf(ask([ecs(1, 24, 5, [192, 0, 2])]))).toBe('FORMERR');
    expect(rcodeOf(ask([ecs(1, 24, 0, [192, 0, 2]), ecs(1, 24, 0, [192, 0, 2])]))).toBe('FORMERR');
    const good = ask([ecs(1, 24, 0, [192, 0, 2])], '10.1.1.1');
    expect(good.answers?.map((x) => (x as { data?: unknown }).data)).toEqual(['10.9.0.1']);
    expect(optOf(good)?.options).toEqual([
      expect.objectContaining({ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 24, ip: '192.0.2.0' }),
    ]);
    const bySource = ask([], '10.1.1.1');
    expect(bySource.answers?.map((x) => (x as { data?: unknown }).data)).toEqual(['10.9.0.2']);
    expect(optOf(bySource)?.options).toEqual([]);
    expect(
      decode(r.respond(buildQuery('www.ecs.test', TYPE.A), 'udp')).answers?.map((x) => (x as { data?: unknown }).data),
    ).toEqual(['10.9.0.9']);
  });
});
