import { describe, expect, it } from 'vitest';
import { BIG_V6, TYPE, addressesOf, buildQuery, decode, dnsCell, optOf, rcodeOf } from './support/dns.js';

// big.demo.test has 40 AAAA answers: 40 × 28 = 1120 bytes of answers.
const BIG = 'big.demo.test';

describe('UDP size limits', () => {
  it('without EDNS a reply over 512 bytes is truncated: TC, header and question only', () => {
    const cell = dnsCell();
    const query = buildQuery(BIG, TYPE.AAAA);
    const reply = cell.responder.respond(query, 'udp') as Buffer;
    expect(reply.length).toBe(query.length);
    const p = decode(reply);
    expect(p.flag_tc).toBe(true);
    expect(p.flag_aa).toBe(true);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.answers).toEqual([]);
    expect(p.authorities).toEqual([]);
    expect(p.additionals).toEqual([]);
    expect(p.questions).toEqual([{ name: BIG, type: 'AAAA', class: 'IN' }]);
    expect(cell.responder.counters).toMatchObject({ truncated: 1, noerror: 1, fastPath: 1 });
  });

  it('the same query with an OPT of 4096 gets every answer and an OPT in the reply', () => {
    const cell = dnsCell();
    const reply = cell.responder.respond(buildQuery(BIG, TYPE.AAAA, { edns: 4096 }), 'udp') as Buffer;
    expect(reply.length).toBeGreaterThan(512);
    expect(reply.length).toBeLessThanOrEqual(1232);
    const p = decode(reply);
    expect(p.flag_tc).toBe(false);
    expect(addressesOf(p).sort()).toEqual([...BIG_V6].sort());
    expect(optOf(p)).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0, extendedRcode: 0 });
    expect(cell.responder.counters.truncated).toBe(0);
  });

  it('a truncated EDNS reply keeps its OPT', () => {
    const cell = dnsCell({ maxUdpSize: 600 });
    const p = decode(cell.responder.respond(buildQuery(BIG, TYPE.AAAA, { edns: 4096 }), 'udp'));
    expect(p.flag_tc).toBe(true);
    expect(p.answers).toEqual([]);
    expect(optOf(p)).toMatchObject({ udpPayloadSize: 600 });
  });

  it('over TCP nothing is truncated, with or without EDNS', () => {
    const cell = dnsCell({ maxUdpSize: 512 });
    for (const opts of [{}, { edns: 512 }, { edns: 100 }]) {
      const p = decode(cell.responder.respond(buildQuery(BIG, TYPE.AAAA, opts), 'tcp'));
      expect(p.flag_tc).toBe(false);
      expect(p.answers).toHaveLength(40);
    }
    expect(cell.responder.counters.truncated).toBe(0);
  });

  it('a client size below 512 counts as 512', () => {
    const cell = dnsCell();
    // three AAAA answers: about 130 bytes, more than 100, less than 512
    const small = cell.responder.respond(buildQuery('v6.demo.test', TYPE.AAAA, { edns: 100 }), 'udp') as Buffer;
    expect(small.length).toBeGreaterThan(100);
    expect(decode(small).flag_tc).toBe(false);
    expect(decode(small).answers).toHaveLength(3);
    expect(decode(cell.responder.respond(buildQuery(BIG, TYPE.AAAA, { edns: 100 }), 'udp')).flag_tc).toBe(true);
  });

  it('the limit is min(client size, ours), and a reply of exactly the limit is not truncated', () => {
    const full = dnsCell().responder.respond(buildQuery(BIG, TYPE.AAAA, { edns: 4096 }), 'tcp') as Buffer;
    const size = full.length;
    const tc = (clientSize: number, ours: number) =>
      decode(dnsCell({ maxUdpSize: ours }).responder.respond(buildQuery(BIG, TYPE.AAAA, { edns: clientSize }), 'udp'))
        .flag_tc;
    expect(tc(size, 4096)).toBe(false);
    expect(tc(size - 1, 4096)).toBe(true);
    expect(tc(4096, size)).toBe(false);
    expect(tc(4096, size - 1)).toBe(true);
    expect(tc(65535, 65535)).toBe(false);
  });

  it('maxUdpSize defaults to the plan (1232) and is advertised in our OPT', () => {
    const cell = dnsCell();
    expect(cell.plan.dns.maxUdpSize).toBe(1232);
    expect(
      optOf(decode(cell.responder.respond(buildQuery('www.demo.test', TYPE.A, { edns: 4096 }), 'udp')))?.udpPayloadSize,
    ).toBe(1232);
  });

  it('rejects a maxUdpSize outside 512..65535', () => {
    expect(() => dnsCell({ maxUdpSize: 511 })).toThrow(expect.objectContaining({ code: 'URND_ERR_ARGUMENT' }));
    expect(() => dnsCell({ maxUdpSize: 65536 })).toThrow(expect.objectContaining({ code: 'URND_ERR_ARGUMENT' }));
  });
});

describe('EDNS versions and options', () => {
  it('EDNS version 1 gets BADVERS: extended rcode 16 through the OPT, version 0, no answers', () => {
    const cell = dnsCell();
    const query = buildQuery('www.demo.test', TYPE.A, { edns: 4096, ednsVersion: 1, id: 0x4242 });
    const reply = cell.responder.respond(query, 'udp') as Buffer;
    const p = decode(reply);
    const opt = optOf(p);
    expect(p.id).toBe(0x4242);
    expect(opt).toMatchObject({ ednsVersion: 0, extendedRcode: 1 });
    // 12-bit rcode: OPT's extended rcode above the header's 4 bits
    expect(((opt?.extendedRcode ?? 0) << 4) | (reply[3] as number & 0x0f)).toBe(16);
    expect(p.answers).toEqual([]);
    expect(p.flag_aa).toBe(false);
    expect(p.questions?.[0]?.name).toBe('www.demo.test');
    expect(cell.responder.counters).toMatchObject({ badvers: 1, slowPath: 1, fastPath: 0 });
  });

  it('options in the query (a cookie, a client subnet) are accepted on the fast path; only the subnet is echoed, scope 0 (RFC 7871)', () => {
    const cell = dnsCell();
    const cookie = { code: 10, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
    const ecs = { code: 8, data: Uint8Array.from([0, 1, 24, 0, 192, 0, 2]) };
    const p = decode(
      cell.responder.respond(buildQuery('www.demo.test', TYPE.A, { edns: 1232, ednsOptions: [cookie, ecs] }), 'udp'),
    );
    expect(p.answers).toHaveLength(1);
    // No ip set answered: the answer holds for every client, scope 0 (RFC 7871 §7.2.1).
    expect(optOf(p)?.options).toEqual([
      expect.objectContaining({ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '192.0.2.0' }),
    ]);
    expect(cell.responder.counters.fastPath).toBe(1);
  });

  it('two OPT RRs, or an OPT not owned by the root, are FORMERR', () => {
    const cell = dnsCell();
    const one = buildQuery('www.demo.test', TYPE.A, { edns: 1232 });
    const opt = one.subarray(one.length - 11);
    const two = Buffer.concat([one, opt]);
    two[11] = 2;
    expect(rcodeOf(decode(cell.responder.respond(two, 'udp')))).toBe('FORMERR');
    // owner "a." instead of the root
    const named = Buffer.concat([one.subarray(0, one.length - 11), Buffer.from([1, 0x61]), opt]);
    expect(rcodeOf(decode(cell.responder.respond(named, 'udp')))).toBe('FORMERR');
    expect(cell.responder.counters.formerr).toBe(2);
  });
});
