import dnsPacket from 'dns-packet';
import { compileConfig } from '../../src/config/index.js';
import type { Plan } from '../../src/config/plan.js';
import { StatusTable } from '../../src/table/status-table.js';
import { Resolver } from '../../src/resolve/resolver.js';
import { Responder, type ResponderOptions } from '../../src/dns/index.js';

/** A plan, its table, a seeded resolver and a responder over them. */
export interface DnsCell {
  plan: Plan;
  table: StatusTable;
  resolver: Resolver;
  responder: Responder;
}

/** 40 AAAA addresses: 40 × 28 bytes of answers, well past 512, well under 4096. */
export const BIG_V6 = Array.from({ length: 40 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);

/**
 * Two zones: demo.test (ttl 60, SOA minimum 30) with one record set of each
 * policy, and other.test (ttl 300, two name servers) with nothing but its apex.
 * Checks c0..c7 on slots 0..7.
 */
export const DNS_DOC = {
  cell: { name: 'dnstest', capacity: 64 },
  checks: Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, slot: i, type: 'tcp', host: '127.0.0.1', port: 9 })),
  zones: [
    { origin: 'demo.test', ttl: 60, soa: { minimum: 30, serial: 7 } },
    { origin: 'other.test', ttl: 300, ns: ['ns1.other.test', 'ns2.other.test'] },
  ],
  records: [
    {
      name: 'www.demo.test',
      type: 'A',
      ttl: 30,
      policy: 'weighted',
      answers: [
        { value: '192.0.2.1', weight: 1, check: 'c0' },
        { value: '192.0.2.2', weight: 3, check: 'c1' },
      ],
    },
    {
      name: 'api.demo.test',
      type: 'A',
      policy: 'failover',
      answers: [
        { value: '192.0.2.10', role: 'primary', check: 'c2' },
        { value: '192.0.2.11', role: 'secondary', check: 'c3' },
      ],
    },
    {
      name: 'closed.demo.test',
      type: 'A',
      policy: 'failover',
      whenAllUnhealthy: 'answer-none',
      answers: [
        { value: '192.0.2.20', role: 'primary', check: 'c4' },
        { value: '192.0.2.21', role: 'secondary', check: 'c5' },
      ],
    },
    { name: 'static.demo.test', type: 'A', answers: [{ value: '192.0.2.30' }, { value: '192.0.2.31' }] },
    {
      name: 'v6.demo.test',
      type: 'AAAA',
      ttl: 120,
      policy: 'multivalue',
      answers: [{ value: '2001:db8::a', check: 'c6' }, { value: '2001:db8::b', check: 'c7' }, { value: '2001:db8::c' }],
    },
    { name: 'v6.demo.test', type: 'A', answers: [{ value: '192.0.2.40' }] },
    { name: 'big.demo.test', type: 'AAAA', answers: BIG_V6.map((value) => ({ value })) },
    { name: 'a.b.demo.test', type: 'A', answers: [{ value: '192.0.2.50' }] },
    { name: 'demo.test', type: 'A', answers: [{ value: '192.0.2.60' }] },
  ],
};

export function dnsCell(options: ResponderOptions = {}, seed = 1): DnsCell {
  const plan = compileConfig(DNS_DOC);
  const table = StatusTable.create(plan.cell.capacity);
  const resolver = new Resolver(plan, table, { seed });
  return { plan, table, resolver, responder: new Responder(resolver, options) };
}

export const TYPE = { A: 1, NS: 2, SOA: 6, MX: 15, TXT: 16, AAAA: 28, HTTPS: 65, AXFR: 252, ANY: 255 } as const;

export interface QueryOptions {
  id?: number;
  /** Header byte 2 and 3 as sent; default RD set (0x01, 0x00). */
  flagsHigh?: number;
  flagsLow?: number;
  qclass?: number;
  /** Add an OPT RR advertising this UDP size. */
  edns?: number;
  ednsVersion?: number;
  /** Raw EDNS options (code, data) in the OPT RR. */
  ednsOptions?: { code: number; data: Uint8Array }[];
}

/** A query message, built by hand so any type, class and name bytes can be sent. */
export function buildQuery(name: string, qtype: number, o: QueryOptions = {}): Buffer {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const bytes: number[] = [];
  const id = o.id ?? 0x1234;
  const hasOpt = o.edns !== undefined;
  bytes.push(id >> 8, id & 0xff, o.flagsHigh ?? 0x01, o.flagsLow ?? 0x00, 0, 1, 0, 0, 0, 0, 0, hasOpt ? 1 : 0);
  for (const label of labels) {
    const b = Buffer.from(label, 'latin1');
    bytes.push(b.length, ...b);
  }
  bytes.push(0, qtype >> 8, qtype & 0xff, (o.qclass ?? 1) >> 8, (o.qclass ?? 1) & 0xff);
  if (hasOpt) {
    const opts: number[] = [];
    for (const { code, data } of o.ednsOptions ?? [])
      opts.push(code >> 8, code & 0xff, data.length >> 8, data.length & 0xff, ...data);
    const size = o.edns as number;
    bytes.push(
      0,
      0,
      41,
      size >> 8,
      size & 0xff,
      0,
      o.ednsVersion ?? 0,
      0,
      0,
      opts.length >> 8,
      opts.length & 0xff,
      ...opts,
    );
  }
  return Buffer.from(bytes);
}

export function decode(reply: Buffer | null): dnsPacket.DecodedPacket {
  if (reply === null) throw new Error('no reply');
  return dnsPacket.decode(reply);
}

export function rcodeOf(p: dnsPacket.DecodedPacket): string {
  return (p as unknown as { rcode: string }).rcode;
}

export function optOf(p: dnsPacket.DecodedPacket): dnsPacket.OptAnswer | undefined {
  return (p.additionals ?? []).find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
}

/** Address strings in the answer section. */
export function addressesOf(p: dnsPacket.DecodedPacket): string[] {
  return (p.answers ?? []).map((a) => String((a as { data: unknown }).data));
}
