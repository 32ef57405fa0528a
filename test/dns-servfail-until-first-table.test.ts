import { describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
import { TYPE, addressesOf, buildQuery, decode, dnsCell, optOf, rcodeOf } from './support/dns.js';
import { bytesPerCall } from './support/heap.js';

/**
 * A Responder with `holdUntilTable` (as `urnd dns` runs it) answers SERVFAIL
 * — no AA, the question echoed, EDNS OPT kept — until its StatusTable has
 * had an update published, then answers from the table for good. Without
 * the option (`urnd serve`) an untouched table answers at once (unknown
 * counts healthy). Holding allocates nothing but the reply.
 */

describe('holdUntilTable', () => {
  it('answers SERVFAIL (no AA, question echoed, OPT kept) until the first publish, then from the table for good', () => {
    const cell = dnsCell({ holdUntilTable: true });
    const { responder, table } = cell;
    expect(table.sequence).toBe(0);
    const query = buildQuery('WwW.DeMo.TeSt', TYPE.A, { id: 4242, edns: 1232 });
    const fast = responder.respond(query, 'udp') as Buffer;
    const slow = responder.respondSlow(query, 'udp') as Buffer;
    expect(slow.equals(fast)).toBe(true);
    const p = decode(fast);
    expect(rcodeOf(p)).toBe('SERVFAIL');
    expect(p.id).toBe(4242);
    expect(p.flag_aa).toBe(false);
    expect(p.answers ?? []).toEqual([]);
    expect(p.authorities ?? []).toEqual([]);
    expect(p.questions?.[0]?.name).toBe('WwW.DeMo.TeSt');
    expect(optOf(p)?.udpPayloadSize).toBe(cell.plan.dns.maxUdpSize);
    // Without EDNS: no OPT; names outside our zones and other types are held too.
    const plain = decode(responder.respond(buildQuery('www.demo.test', TYPE.A), 'udp'));
    expect(rcodeOf(plain)).toBe('SERVFAIL');
    expect(optOf(plain)).toBeUndefined();
    expect(rcodeOf(decode(responder.respond(buildQuery('example.com', TYPE.A), 'udp')))).toBe('SERVFAIL');
    expect(rcodeOf(decode(responder.respond(buildQuery('demo.test', TYPE.SOA), 'tcp')))).toBe('SERVFAIL');
    // Queries whose question cannot be answered keep their own rcodes.
    expect(rcodeOf(decode(responder.respond(buildQuery('www.demo.test', TYPE.A, { flagsHigh: 0x21 }), 'udp')))).toBe(
      'NOTIMP',
    );
    expect(responder.counters).toMatchObject({ servfail: 5, noerror: 0, notimp: 1, errors: 0 });

    // The first update: c1 (weight 3 answer 192.0.2.2) is down, c0 up.
    table.set(0, Status.HEALTHY);
    table.set(1, Status.UNHEALTHY);
    table.publish();
    for (let i = 0; i < 20; i++) {
      const r = decode(responder.respond(query, 'udp'));
      expect(rcodeOf(r)).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(addressesOf(r)).toEqual(['192.0.2.1']);
    }
    expect(responder.counters.servfail).toBe(5);
  });

  it('is off by default: an untouched table answers at once (unknown counts healthy, as urnd serve does)', () => {
    const { responder, table } = dnsCell();
    expect(table.sequence).toBe(0);
    const r = decode(responder.respond(buildQuery('static.demo.test', TYPE.A), 'udp'));
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(addressesOf(r).sort()).toEqual(['192.0.2.30', '192.0.2.31']);
    expect(responder.counters.servfail).toBe(0);
  });

  it('allocates only the reply, holding and after the first table', () => {
    const { responder, table } = dnsCell({ holdUntilTable: true });
    const query = buildQuery('www.demo.test', TYPE.A, { edns: 1232 });
    const heldSize = (responder.respond(query, 'udp') as Buffer).length;
    const heldControl = bytesPerCall(() => Buffer.allocUnsafe(heldSize).length);
    const held = bytesPerCall(() => (responder.respond(query, 'udp') as Buffer).length);
    expect(responder.counters.noerror).toBe(0);
    table.publish();
    const size = (responder.respond(query, 'udp') as Buffer).length;
    const control = bytesPerCall(() => Buffer.allocUnsafe(size).length);
    const answered = bytesPerCall(() => (responder.respond(query, 'udp') as Buffer).length);
    expect(responder.counters.errors).toBe(0);
    const figures = JSON.stringify({ heldControl, held, control, answered });
    expect(held, figures).toBeLessThan(heldControl + 12);
    expect(answered, figures).toBeLessThan(control + 12);
  });
});
