import { describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
import { compileConfig } from '../src/config/index.js';
import { DNS_DOC, TYPE, addressesOf, buildQuery, decode, dnsCell, optOf, rcodeOf } from './support/dns.js';

const H = Status.HEALTHY;
const U = Status.UNHEALTHY;

function ask(cell: ReturnType<typeof dnsCell>, name: string, type: number, opts = {}) {
  return decode(cell.responder.respond(buildQuery(name, type, opts), 'udp'));
}

describe('A and AAAA answers', () => {
  it('answers A from the record set, authoritative, with the set TTL', () => {
    const cell = dnsCell();
    const p = ask(cell, 'static.demo.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(p.flag_qr).toBe(true);
    expect(addressesOf(p).sort()).toEqual(['192.0.2.30', '192.0.2.31']);
    for (const a of p.answers ?? []) {
      expect(a).toMatchObject({ name: 'static.demo.test', type: 'A', class: 'IN', ttl: 60 });
    }
    expect(p.authorities).toEqual([]);
    expect(cell.responder.counters).toMatchObject({ queries: 1, fastPath: 1, slowPath: 0, noerror: 1 });
  });

  it('answers AAAA with the set TTL', () => {
    const cell = dnsCell();
    const p = ask(cell, 'v6.demo.test', TYPE.AAAA);
    expect(p.flag_aa).toBe(true);
    expect(addressesOf(p).sort()).toEqual(['2001:db8::a', '2001:db8::b', '2001:db8::c']);
    expect((p.answers ?? []).every((a) => a.type === 'AAAA' && (a as { ttl: number }).ttl === 120)).toBe(true);
  });

  it('weighted answers one address with the record TTL', () => {
    const cell = dnsCell();
    const p = ask(cell, 'www.demo.test', TYPE.A);
    expect(p.answers).toHaveLength(1);
    expect(['192.0.2.1', '192.0.2.2']).toContain(addressesOf(p)[0]);
    expect((p.answers?.[0] as { ttl: number } | undefined)?.ttl).toBe(30);
  });

  it('a failover answer moves to the secondary when the status table marks the primary unhealthy', () => {
    const cell = dnsCell();
    cell.table.set(2, H);
    cell.table.set(3, H);
    expect(addressesOf(ask(cell, 'api.demo.test', TYPE.A))).toEqual(['192.0.2.10']);
    cell.table.set(2, U);
    expect(addressesOf(ask(cell, 'api.demo.test', TYPE.A))).toEqual(['192.0.2.11']);
    cell.table.set(2, H);
    expect(addressesOf(ask(cell, 'api.demo.test', TYPE.A))).toEqual(['192.0.2.10']);
  });

  it('a multivalue answer leaves out the unhealthy', () => {
    const cell = dnsCell();
    cell.table.set(6, U);
    expect(addressesOf(ask(cell, 'v6.demo.test', TYPE.AAAA)).sort()).toEqual(['2001:db8::b', '2001:db8::c']);
  });

  it('a fail-closed set with every candidate unhealthy answers NOERROR, empty, SOA in authority', () => {
    const cell = dnsCell();
    cell.table.set(4, U);
    cell.table.set(5, U);
    const p = ask(cell, 'closed.demo.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(p.answers).toEqual([]);
    expect(p.authorities).toHaveLength(1);
    expect(p.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'demo.test', ttl: 30 });
    expect(cell.responder.counters.nodata).toBe(1);
  });
});

describe('negative answers', () => {
  it('NXDOMAIN for a missing name, the zone SOA in authority with TTL min(ttl, minimum)', () => {
    const cell = dnsCell();
    const p = ask(cell, 'nope.demo.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NXDOMAIN');
    expect(p.flag_aa).toBe(true);
    expect(p.answers).toEqual([]);
    expect(p.authorities).toHaveLength(1);
    const soa = p.authorities?.[0] as unknown as {
      name: string;
      type: string;
      ttl: number;
      data: Record<string, unknown>;
    };
    expect(soa).toMatchObject({ name: 'demo.test', type: 'SOA', ttl: 30 });
    expect(soa.data).toMatchObject({ mname: 'ns1.demo.test', rname: 'hostmaster.demo.test', serial: 7, minimum: 30 });
    expect(cell.responder.counters).toMatchObject({ nxdomain: 1, fastPath: 1 });
  });

  it('NXDOMAIN deeper in another zone uses that zone SOA (ttl 300, minimum 60 → 60)', () => {
    const p = ask(dnsCell(), 'x.y.OTHER.test', TYPE.AAAA);
    expect(rcodeOf(p)).toBe('NXDOMAIN');
    expect(p.authorities?.[0]).toMatchObject({ name: 'OTHER.test', type: 'SOA', ttl: 60 });
  });

  it('NODATA for an existing name and another type: NOERROR, no answer, SOA in authority', () => {
    const cell = dnsCell();
    for (const type of [TYPE.AAAA, TYPE.MX, TYPE.TXT, TYPE.HTTPS, TYPE.SOA, TYPE.NS]) {
      const p = ask(cell, 'www.demo.test', type);
      expect(rcodeOf(p)).toBe('NOERROR');
      expect(p.flag_aa).toBe(true);
      expect(p.answers).toEqual([]);
      expect(p.authorities?.[0]).toMatchObject({ name: 'demo.test', type: 'SOA', ttl: 30 });
    }
    expect(cell.responder.counters.nodata).toBe(6);
  });

  it('an empty non-terminal is NODATA, not NXDOMAIN', () => {
    const p = ask(dnsCell(), 'b.demo.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.answers).toEqual([]);
    expect(p.authorities).toHaveLength(1);
  });

  it('REFUSED outside our zones, without AA or records', () => {
    const cell = dnsCell();
    for (const name of ['example.com', 'test', 'xdemo.test', '']) {
      const p = ask(cell, name, TYPE.A);
      expect(rcodeOf(p)).toBe('REFUSED');
      expect(p.flag_aa).toBe(false);
      expect(p.answers).toEqual([]);
      expect(p.authorities).toEqual([]);
      expect(p.questions?.[0]?.name).toBe(name === '' ? '.' : name);
    }
    expect(cell.responder.counters.refused).toBe(4);
  });

  it('REFUSED for a class other than IN, and for zone transfers', () => {
    const cell = dnsCell();
    expect(rcodeOf(ask(cell, 'www.demo.test', TYPE.A, { qclass: 3 }))).toBe('REFUSED');
    expect(rcodeOf(ask(cell, 'demo.test', TYPE.AXFR))).toBe('REFUSED');
  });
});

describe('apex records', () => {
  it('SOA at the apex', () => {
    const p = ask(dnsCell(), 'demo.test', TYPE.SOA);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(p.answers).toHaveLength(1);
    expect(p.answers?.[0]).toMatchObject({ name: 'demo.test', type: 'SOA', ttl: 60 });
    expect((p.answers?.[0] as unknown as { data: Record<string, unknown> } | undefined)?.data).toMatchObject({
      mname: 'ns1.demo.test',
      rname: 'hostmaster.demo.test',
      serial: 7,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 30,
    });
    expect(p.authorities).toEqual([]);
  });

  it('NS at the apex, every name server, zone TTL', () => {
    const p = ask(dnsCell(), 'other.test', TYPE.NS);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.flag_aa).toBe(true);
    expect(
      (p.answers ?? []).map((a) => [a.name, a.type, (a as { ttl: number }).ttl, (a as { data: string }).data]),
    ).toEqual([
      ['other.test', 'NS', 300, 'ns1.other.test'],
      ['other.test', 'NS', 300, 'ns2.other.test'],
    ]);
  });

  it('A at an apex with an A set answers it; an apex without one is NODATA', () => {
    const cell = dnsCell();
    expect(addressesOf(ask(cell, 'demo.test', TYPE.A))).toEqual(['192.0.2.60']);
    const p = ask(cell, 'other.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.answers).toEqual([]);
    expect(p.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'other.test' });
  });

  it('ANY answers one RRset (RFC 8482): A if there is one, else AAAA, else the apex SOA', () => {
    const cell = dnsCell();
    expect((ask(cell, 'v6.demo.test', TYPE.ANY).answers ?? []).map((a) => a.type)).toEqual(['A']);
    expect(new Set((ask(cell, 'big.demo.test', TYPE.ANY, { edns: 4096 }).answers ?? []).map((a) => a.type))).toEqual(
      new Set(['AAAA']),
    );
    expect((ask(cell, 'other.test', TYPE.ANY).answers ?? []).map((a) => a.type)).toEqual(['SOA']);
    const p = ask(cell, 'b.demo.test', TYPE.ANY);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(p.answers).toEqual([]);
    expect(rcodeOf(ask(cell, 'nope.demo.test', TYPE.ANY))).toBe('NXDOMAIN');
  });
});

describe('header and question echo', () => {
  it('keeps the question letter case byte for byte (0x20) and names answers by a pointer to it', () => {
    const cell = dnsCell();
    const query = buildQuery('WwW.DeMo.TeSt', TYPE.A);
    const reply = cell.responder.respond(query, 'udp') as Buffer;
    // header + question bytes equal except the flags and counts
    expect(reply.subarray(12, query.length)).toEqual(query.subarray(12));
    // answer owner: pointer to offset 12
    expect(reply.readUInt16BE(query.length)).toBe(0xc00c);
    const p = decode(reply);
    expect(p.questions?.[0]?.name).toBe('WwW.DeMo.TeSt');
    expect(p.answers?.[0]?.name).toBe('WwW.DeMo.TeSt');
  });

  it('points the authority SOA owner at the apex labels of the question, in their case', () => {
    const p = ask(dnsCell(), 'NoPe.DEMO.test', TYPE.A);
    expect(p.authorities?.[0]?.name).toBe('DEMO.test');
  });

  it('copies the ID and RD, clears RA, sets QR', () => {
    const cell = dnsCell();
    for (const [id, rd] of [
      [0, true],
      [0xffff, false],
      [0xbeef, true],
    ] as const) {
      const p = ask(cell, 'www.demo.test', TYPE.A, { id, flagsHigh: rd ? 0x01 : 0x00 });
      expect(p.id).toBe(id);
      expect(p.flag_rd).toBe(rd);
      expect(p.flag_ra).toBe(false);
      expect(p.flag_qr).toBe(true);
      expect(p.flag_tc).toBe(false);
    }
  });

  it('copies CD, clears AD and Z', () => {
    const p = ask(dnsCell(), 'www.demo.test', TYPE.A, { flagsLow: 0x10 | 0x20 | 0x40 });
    expect(p.flag_cd).toBe(true);
    expect(p.flag_ad).toBe(false);
    expect(p.flag_z).toBe(false);
  });

  it('odd bytes in a label never match a plan name, and a dot inside a label is not a label boundary', () => {
    const cell = dnsCell();
    // a NUL inside the first label: a name in demo.test that does not exist
    const p = ask(cell, 'www\u0000.demo.test', TYPE.A);
    expect(rcodeOf(p)).toBe('NXDOMAIN');
    expect(p.authorities?.[0]?.name).toBe('demo.test');
    // "www.demo" as ONE label, then "test": not inside demo.test
    const dotted = Buffer.from([
      0,
      1,
      1,
      0,
      0,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      8,
      ...Buffer.from('www.demo'),
      4,
      ...Buffer.from('test'),
      0,
      0,
      1,
      0,
      1,
    ]);
    const reply = cell.responder.respond(dotted, 'udp') as Buffer;
    expect(rcodeOf(decode(reply))).toBe('REFUSED');
    expect(reply.subarray(12)).toEqual(dotted.subarray(12));
  });

  it('without EDNS there is no OPT in the reply; with EDNS there is one, version 0, our size', () => {
    const cell = dnsCell({ maxUdpSize: 1400 });
    expect(optOf(ask(cell, 'www.demo.test', TYPE.A))).toBeUndefined();
    const opt = optOf(ask(cell, 'www.demo.test', TYPE.A, { edns: 4096 }));
    expect(opt).toMatchObject({ name: '.', udpPayloadSize: 1400, ednsVersion: 0, extendedRcode: 0 });
    expect(opt?.options).toEqual([]);
  });
});

describe('config reload', () => {
  it('answers from the plan the resolver holds now: records, SOA and maxUdpSize follow a setPlan', () => {
    const cell = dnsCell();
    const soaSerial = () =>
      (ask(cell, 'demo.test', TYPE.SOA).answers?.[0] as unknown as { data: { serial: number } } | undefined)?.data
        .serial;
    expect(soaSerial()).toBe(7);
    expect(rcodeOf(ask(cell, 'new.demo.test', TYPE.A))).toBe('NXDOMAIN');
    const doc = structuredClone(DNS_DOC) as typeof DNS_DOC & { dns?: unknown };
    doc.zones[0] = { origin: 'demo.test', ttl: 60, soa: { minimum: 30, serial: 8 } };
    doc.records.push({ name: 'new.demo.test', type: 'A', answers: [{ value: '192.0.2.99' }] });
    doc.dns = { maxUdpSize: 700 };
    cell.resolver.setPlan(compileConfig(doc));
    expect(soaSerial()).toBe(8);
    expect(addressesOf(ask(cell, 'new.demo.test', TYPE.A))).toEqual(['192.0.2.99']);
    expect(optOf(ask(cell, 'new.demo.test', TYPE.A, { edns: 4096 }))?.udpPayloadSize).toBe(700);
  });
});
