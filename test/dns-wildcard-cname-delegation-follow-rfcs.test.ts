import { describe, expect, it } from 'vitest';
import type dnsPacket from 'dns-packet';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { Resolver } from '../src/resolve/resolver.js';
import { Responder } from '../src/dns/index.js';
import { respondViaSlowPath } from '../src/dns/responder.js';
import { MAX_CHAIN } from '../src/dns/answer.js';
import { buildQuery, decode, rcodeOf } from './support/dns.js';

/**
 * Name matching and chains, in process, on both reading paths:
 * RFC 4592's wildcard examples (§2.2.1: a wildcard answers only names that
 * do not exist; an empty non-terminal blocks it; the owner is the query
 * name), RFC 1034 §4.3.2 CNAME handling (the CNAME, then its target inside
 * our zones, bounded; outside our zones left to the client; the rcode of
 * the last name, RFC 6604) and referrals at a delegation with glue.
 */
const plan = compileConfig({
  cell: { name: 'rfc', capacity: 16 },
  checks: [
    { id: 'blue', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 },
    { id: 'green', slot: 2, type: 'tcp', host: '127.0.0.1', port: 9 },
  ],
  zones: [
    { origin: 'example', ttl: 60 },
    { origin: 'other.test', ttl: 60 },
  ],
  records: [
    // RFC 4592 §2.2.1's zone, less what urnd does not serve.
    { name: '*.example', type: 'TXT', answers: [{ value: 'this is a wildcard' }] },
    { name: '*.example', type: 'MX', answers: [{ value: '10 host1.example.' }] },
    { name: 'host1.example', type: 'A', answers: [{ value: '192.0.2.1' }] },
    { name: '_ssh._tcp.host1.example', type: 'SRV', answers: [{ value: '0 0 22 host1' }] },
    { name: '_ssh._tcp.host2.example', type: 'SRV', answers: [{ value: '0 0 22 host2.example.' }] },
    { name: 'subdel.example', type: 'NS', answers: [{ value: 'ns.example.com.' }, { value: 'ns.subdel' }] },
    { name: 'ns.subdel.example', type: 'A', answers: [{ value: '192.0.2.53' }] },
    { name: 'ns.subdel.example', type: 'AAAA', answers: [{ value: '2001:db8::53' }] },
    // CNAMEs: a chain inside, a target outside, a target that does not exist, a loop, one to a wildcard.
    { name: 'www.example', type: 'CNAME', answers: [{ value: 'lb' }] },
    {
      name: 'lb.example',
      type: 'CNAME',
      policy: 'failover',
      answers: [
        { value: 'blue.other.test.', role: 'primary', check: 'blue' },
        { value: 'green.other.test.', role: 'secondary', check: 'green' },
      ],
    },
    { name: 'blue.other.test', type: 'A', answers: [{ value: '192.0.2.10' }] },
    { name: 'green.other.test', type: 'A', answers: [{ value: '192.0.2.20' }] },
    { name: 'cdn.example', type: 'CNAME', answers: [{ value: 'edge.cdn.invalid.' }] },
    { name: 'dangling.example', type: 'CNAME', answers: [{ value: 'gone.other.test.' }] },
    { name: 'loop1.example', type: 'CNAME', answers: [{ value: 'loop2' }] },
    { name: 'loop2.example', type: 'CNAME', answers: [{ value: 'loop1' }] },
    { name: 'towild.example', type: 'CNAME', answers: [{ value: 'anything.example.' }] },
  ],
});
const table = StatusTable.create(16);
const resolver = new Resolver(plan, table, { seed: 3 });
const responder = new Responder(resolver);

type Section = 'answers' | 'authorities' | 'additionals';
/** The reply over both paths (they must agree byte for byte), decoded. */
function ask(name: string, qtype: number): dnsPacket.DecodedPacket {
  const q = buildQuery(name, qtype, { edns: 1232 });
  const fast = responder.respond(q, 'udp');
  const slow = respondViaSlowPath(responder, q, 'udp');
  // Shuffled sets differ between calls; single-answer sets must not.
  const p = decode(fast);
  if ((p.answers ?? []).length <= 1 && (p.authorities ?? []).length <= 1) expect(slow).toEqual(fast);
  return p;
}
function records(p: dnsPacket.DecodedPacket, section: Section = 'answers'): string[] {
  return (p[section] ?? [])
    .filter((r) => r.type !== 'OPT')
    .map((r) => {
      const a = r as { name: string; type: string; data: unknown };
      const data = a.data;
      const text = Buffer.isBuffer(data)
        ? data.toString()
        : Array.isArray(data)
          ? data.map(String).join('|')
          : typeof data === 'object' && data !== null
            ? Object.values(data).join(' ')
            : String(data);
      return `${a.name} ${a.type} ${text}`;
    })
    .sort();
}
const aa = (p: dnsPacket.DecodedPacket): boolean => ((p.flags ?? 0) & 0x400) !== 0;

const T = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DS: 43 } as const;

describe('wildcards match as RFC 4592 §2.2.1 says', () => {
  it('a name that does not exist gets the wildcard, owned by the query name', () => {
    const mx = ask('host3.example', T.MX);
    expect(rcodeOf(mx)).toBe('NOERROR');
    expect(aa(mx)).toBe(true);
    expect(records(mx)).toEqual(['host3.example MX 10 host1.example']);
    expect(records(ask('foo.bar.example', T.TXT))).toEqual(['foo.bar.example TXT this is a wildcard']);
  });

  it('a type the wildcard lacks is NODATA, not NXDOMAIN', () => {
    const a = ask('host3.example', T.A);
    expect(rcodeOf(a)).toBe('NOERROR');
    expect(records(a)).toEqual([]);
    expect(records(a, 'authorities')).toEqual([expect.stringMatching(/^example SOA /)]);
  });

  it('names that exist are not matched: host1 (owner), *.example itself, _tcp.host1 (an empty non-terminal)', () => {
    expect(records(ask('host1.example', T.MX))).toEqual([]);
    expect(rcodeOf(ask('host1.example', T.MX))).toBe('NOERROR');
    expect(records(ask('*.example', T.MX))).toEqual(['*.example MX 10 host1.example']);
    expect(rcodeOf(ask('_tcp.host1.example', T.A))).toBe('NOERROR');
    expect(records(ask('_tcp.host1.example', T.MX))).toEqual([]);
  });

  it('an empty non-terminal is the closest encloser and blocks the wildcard: NXDOMAIN', () => {
    // host1.example exists: *.example does not cover names below it.
    expect(rcodeOf(ask('_telnet._tcp.host1.example', T.SRV))).toBe('NXDOMAIN');
    expect(rcodeOf(ask('sub.host1.example', T.TXT))).toBe('NXDOMAIN');
    // *.example exists as a name: below it, the closest encloser is *.example, which has no * child.
    expect(rcodeOf(ask('foo.*.example', T.TXT))).toBe('NXDOMAIN');
  });
});

describe('CNAMEs are followed as RFC 1034 §4.3.2 says', () => {
  it('the chain inside our zones, each owner its own name, the target chosen by health', () => {
    const p = ask('www.example', T.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(aa(p)).toBe(true);
    expect(records(p)).toEqual([
      'blue.other.test A 192.0.2.10',
      'lb.example CNAME blue.other.test',
      'www.example CNAME lb.example',
    ]);
    expect((p.answers ?? []).map((r) => r.type)).toEqual(['CNAME', 'CNAME', 'A']);
    table.set(1, Status.UNHEALTHY);
    table.publish();
    expect(records(ask('www.example', T.A))).toEqual([
      'green.other.test A 192.0.2.20',
      'lb.example CNAME green.other.test',
      'www.example CNAME lb.example',
    ]);
    table.set(1, Status.HEALTHY);
    table.publish();
  });

  it('a type the target lacks: the chain, NOERROR, and the target zone SOA', () => {
    const p = ask('www.example', T.AAAA);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(records(p)).toHaveLength(2);
    expect(records(p, 'authorities')).toEqual([expect.stringMatching(/^other\.test SOA /)]);
  });

  it('a query for the CNAME itself gets the CNAME alone', () => {
    expect(records(ask('www.example', T.CNAME))).toEqual(['www.example CNAME lb.example']);
  });

  it('a target outside our zones is left to the client', () => {
    const p = ask('cdn.example', T.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(records(p)).toEqual(['cdn.example CNAME edge.cdn.invalid']);
  });

  it('a target that does not exist in our zones: the CNAME and NXDOMAIN (RFC 6604)', () => {
    const p = ask('dangling.example', T.A);
    expect(rcodeOf(p)).toBe('NXDOMAIN');
    expect(records(p)).toEqual(['dangling.example CNAME gone.other.test']);
    expect(records(p, 'authorities')).toEqual([expect.stringMatching(/^other\.test SOA /)]);
  });

  it('a loop ends after a bounded number of CNAMEs', () => {
    const p = ask('loop1.example', T.A);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect((p.answers ?? []).length).toBe(MAX_CHAIN);
  });

  it('a target covered by a wildcard: the wildcard answers, owned by the target', () => {
    expect(records(ask('towild.example', T.TXT))).toEqual([
      'anything.example TXT this is a wildcard',
      'towild.example CNAME anything.example',
    ]);
  });
});

describe('NS below an apex is a delegation: a referral with glue', () => {
  it('the cut itself and every name below it are referred, not answered', () => {
    for (const name of ['subdel.example', 'www.subdel.example', 'ns.subdel.example', 'a.b.subdel.example']) {
      const p = ask(name, T.A);
      expect(rcodeOf(p)).toBe('NOERROR');
      expect(aa(p)).toBe(false);
      expect(records(p)).toEqual([]);
      expect(records(p, 'authorities')).toEqual([
        'subdel.example NS ns.example.com',
        'subdel.example NS ns.subdel.example',
      ]);
      // Glue from our zone for the name server inside it; none for the one outside.
      expect(records(p, 'additionals')).toEqual([
        'ns.subdel.example A 192.0.2.53',
        'ns.subdel.example AAAA 2001:db8::53',
      ]);
    }
  });

  it('DS at the cut belongs to the parent: NODATA, authoritative', () => {
    const p = ask('subdel.example', T.DS);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(aa(p)).toBe(true);
    expect(records(p)).toEqual([]);
  });
});

describe('ANY answers one RRset (RFC 8482 §4.1)', () => {
  it('the first type with a set: TXT before MX at a wildcard, the CNAME itself at a CNAME, SOA at the apex', () => {
    expect(records(ask('host3.example', 255))).toEqual(['host3.example TXT this is a wildcard']);
    expect(records(ask('www.example', 255))).toEqual(['www.example CNAME lb.example']);
    expect(records(ask('example', 255))).toEqual([expect.stringMatching(/^example SOA /)]);
  });
});

describe('explain and resolve see the same matching', () => {
  it('explain: a wildcard names itself, a delegation shows its NS set, every type is listed', () => {
    const wild = resolver.explain('host3.example');
    expect(wild.status).toBe('ok');
    expect(wild.wildcard).toBe('*.example');
    expect(wild.recordSets.map((s) => s.type).sort()).toEqual(['MX', 'TXT']);
    expect(wild.recordSets.find((s) => s.type === 'MX')?.candidates[0]?.value).toBe('10 host1.example.');
    const del = resolver.explain('www.subdel.example');
    expect(del.status).toBe('delegated');
    expect(del.recordSets[0]?.type).toBe('NS');
    const lb = resolver.explain('lb.example');
    expect(lb.recordSets[0]?.policy).toBe('failover');
    expect(lb.recordSets[0]?.candidates.map((c) => c.value)).toEqual(['blue.other.test.', 'green.other.test.']);
    expect(resolver.explain('nothing.other.test').status).toBe('nxdomain');
  });

  it('resolve gives RDATA text for every type', () => {
    expect(resolver.resolve('_ssh._tcp.host1.example', 'SRV').addresses).toEqual(['0 0 22 host1.example.']);
    expect(resolver.resolve('lb.example', 'CNAME').addresses).toEqual(['blue.other.test.']);
  });
});
