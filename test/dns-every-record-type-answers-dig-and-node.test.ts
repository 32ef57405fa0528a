import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';
import { promisify } from 'node:util';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { DnsFront } from '../src/serving/dns-front.js';

/**
 * A real DnsFront on 127.0.0.1 answers every record type to Node's
 * dns.Resolver (c-ares) and to dig: a small company zone with apex MX, TXT
 * and CAA, a health-checked weighted CNAME, SRV, PTR, a delegation, and a
 * TXT too big for UDP (TC, then the whole answer over TCP).
 */
const BIG = 'x'.repeat(1800);
const plan = compileConfig({
  cell: { name: 'types', capacity: 16 },
  checks: [
    { id: 'eu', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 },
    { id: 'us', slot: 2, type: 'tcp', host: '127.0.0.1', port: 9 },
    ...['eu1', 'eu2', 'us1', 'us2'].map((id, i) => ({ id, slot: 3 + i, type: 'tcp', host: '127.0.0.1', port: 9 })),
  ],
  zones: [
    { origin: 'shop.example', ttl: 60, ns: ['ns1.shop.example'] },
    { origin: '2.0.192.in-addr.arpa', ttl: 60 },
  ],
  records: [
    { name: 'shop.example', type: 'MX', answers: [{ value: '10 mail' }, { value: '20 mail2.shop.example.' }] },
    { name: 'shop.example', type: 'TXT', answers: [{ value: 'v=spf1 -all' }, { value: '"two" "strings"' }] },
    { name: 'shop.example', type: 'CAA', answers: [{ value: '0 issue "letsencrypt.org"' }] },
    { name: 'ns1.shop.example', type: 'A', answers: [{ value: '192.0.2.53' }] },
    { name: 'mail.shop.example', type: 'A', answers: [{ value: '192.0.2.25' }] },
    {
      name: 'www.shop.example',
      type: 'CNAME',
      policy: 'weighted',
      answers: [
        { value: 'eu.shop.example.', weight: 1, check: 'eu' },
        { value: 'us.shop.example.', weight: 1, check: 'us' },
      ],
    },
    { name: 'eu.shop.example', type: 'A', answers: [{ value: '192.0.2.1' }] },
    { name: 'us.shop.example', type: 'A', answers: [{ value: '192.0.2.2' }] },
    { name: '_https._tcp.shop.example', type: 'SRV', answers: [{ value: '10 5 443 api.shop.example.' }] },
    { name: 'big.shop.example', type: 'TXT', answers: [{ value: BIG }] },
    { name: 'lab.shop.example', type: 'NS', answers: [{ value: 'ns.lab' }] },
    { name: 'ns.lab.shop.example', type: 'A', answers: [{ value: '192.0.2.54' }] },
    { name: '25.2.0.192.in-addr.arpa', type: 'PTR', answers: [{ value: 'mail.shop.example.' }] },
    // api: failover between two weighted regions, through aliases that evaluate target health.
    {
      name: 'api-eu.shop.example',
      type: 'A',
      policy: 'weighted',
      answers: [
        { value: '192.0.2.101', weight: 1, check: 'eu1' },
        { value: '192.0.2.102', weight: 1, check: 'eu2' },
      ],
    },
    {
      name: 'api-us.shop.example',
      type: 'A',
      policy: 'weighted',
      answers: [
        { value: '192.0.2.201', weight: 1, check: 'us1' },
        { value: '192.0.2.202', weight: 1, check: 'us2' },
      ],
    },
    {
      name: 'api.shop.example',
      type: 'A',
      policy: 'failover',
      answers: [
        { alias: 'api-eu.shop.example', evaluateTargetHealth: true, role: 'primary' },
        { alias: 'api-us.shop.example', evaluateTargetHealth: true, role: 'secondary' },
      ],
    },
    { name: '*.shop.example', type: 'A', answers: [{ value: '192.0.2.80' }] },
  ],
});
const table = StatusTable.create(16);
let front: DnsFront;
let resolver: dnsPromises.Resolver;
const run = promisify(execFile);

function dig(...args: string[]): Promise<string> {
  return run('dig', ['@127.0.0.1', '-p', String(front.port), '+time=3', '+tries=3', ...args]).then((r) => r.stdout);
}

beforeAll(async () => {
  front = await DnsFront.start(plan, table, { listen: { host: '127.0.0.1', port: 0 }, seed: 5, log: () => {} });
  resolver = new dnsPromises.Resolver({ timeout: 3000, tries: 3 });
  resolver.setServers([`127.0.0.1:${front.port}`]);
});

afterAll(async () => {
  await front?.stop();
});

/** Node 24's resolver adds `type` to each MX, SRV and CAA record; older lines do not. */
function withoutType(records: readonly object[]): Record<string, unknown>[] {
  return records.map((r) => {
    const { type: _type, ...rest } = r as Record<string, unknown>;
    return rest;
  });
}

describe("every record type, to Node's resolver", () => {
  it('MX, TXT, CAA at the apex; SRV; PTR; NS of the apex', async () => {
    expect(withoutType((await resolver.resolveMx('shop.example')).sort((a, b) => a.priority - b.priority))).toEqual([
      { priority: 10, exchange: 'mail.shop.example' },
      { priority: 20, exchange: 'mail2.shop.example' },
    ]);
    expect((await resolver.resolveTxt('shop.example')).sort()).toEqual([['two', 'strings'], ['v=spf1 -all']].sort());
    expect(withoutType(await resolver.resolveCaa('shop.example'))).toEqual([{ critical: 0, issue: 'letsencrypt.org' }]);
    expect(withoutType(await resolver.resolveSrv('_https._tcp.shop.example'))).toEqual([
      { priority: 10, weight: 5, port: 443, name: 'api.shop.example' },
    ]);
    expect(await resolver.resolvePtr('25.2.0.192.in-addr.arpa')).toEqual(['mail.shop.example']);
    expect(await resolver.reverse('192.0.2.25')).toEqual(['mail.shop.example']);
    expect(await resolver.resolveNs('shop.example')).toEqual(['ns1.shop.example']);
  });

  it('CNAME: the chosen target follows health; A through the CNAME', async () => {
    table.set(1, Status.UNHEALTHY);
    table.publish();
    expect(await resolver.resolveCname('www.shop.example')).toEqual(['us.shop.example']);
    expect(await resolver.resolve4('www.shop.example')).toEqual(['192.0.2.2']);
    table.set(1, Status.HEALTHY);
    table.set(2, Status.UNHEALTHY);
    table.publish();
    expect(await resolver.resolveCname('www.shop.example')).toEqual(['eu.shop.example']);
    expect(await resolver.resolve4('www.shop.example')).toEqual(['192.0.2.1']);
    table.set(2, Status.HEALTHY);
    table.publish();
  });

  it('a TXT of 1,800 bytes, split into 255-byte strings, comes whole (c-ares retries over TCP)', async () => {
    const txt = await resolver.resolveTxt('big.shop.example');
    expect(txt).toHaveLength(1);
    expect(txt[0]!.map((s) => s.length)).toEqual([255, 255, 255, 255, 255, 255, 255, 15]);
    expect(txt[0]!.join('')).toBe(BIG);
  });
});

describe('every record type, to dig', () => {
  it('+short answers for each type', async () => {
    expect((await dig('+short', 'shop.example', 'MX')).trim().split('\n').sort()).toEqual([
      '10 mail.shop.example.',
      '20 mail2.shop.example.',
    ]);
    expect((await dig('+short', 'shop.example', 'CAA')).trim()).toBe('0 issue "letsencrypt.org"');
    expect((await dig('+short', 'shop.example', 'TXT')).trim().split('\n').sort()).toEqual([
      '"two" "strings"',
      '"v=spf1 -all"',
    ]);
    expect((await dig('+short', '_https._tcp.shop.example', 'SRV')).trim()).toBe('10 5 443 api.shop.example.');
    expect((await dig('+short', '-x', '192.0.2.25')).trim()).toBe('mail.shop.example.');
    expect((await dig('+short', 'www.shop.example', 'CNAME')).trim()).toMatch(/^(eu|us)\.shop\.example\.$/);
  });

  it('a big TXT: TC over UDP without retrying, whole over TCP', async () => {
    const udp = await dig('+notcp', '+ignore', '+bufsize=1232', 'big.shop.example', 'TXT');
    expect(udp).toMatch(/flags:[^;]*\btc\b/);
    expect(udp).toMatch(/ANSWER: 0/);
    const tcp = await dig('+tcp', 'big.shop.example', 'TXT');
    expect(tcp).toMatch(/status: NOERROR/);
    expect(tcp).toMatch(/ANSWER: 1,/);
    expect(tcp).not.toMatch(/flags:[^;]*\btc\b/);
  });

  it('a delegation: a referral with the NS in authority and glue, no aa', async () => {
    const out = await dig('+norec', 'host.lab.shop.example', 'A');
    expect(out).toMatch(/status: NOERROR/);
    expect(out).not.toMatch(/flags:[^;]*\baa\b/);
    expect(out).toMatch(/AUTHORITY: 1, ADDITIONAL: 2/);
    expect(out).toMatch(/lab\.shop\.example\.\s+60\s+IN\s+NS\s+ns\.lab\.shop\.example\./);
    expect(out).toMatch(/ns\.lab\.shop\.example\.\s+60\s+IN\s+A\s+192\.0\.2\.54/);
  });

  it('a CNAME chain as dig shows it: the CNAME then the target address, aa', async () => {
    const out = await dig('+norec', 'www.shop.example', 'A');
    expect(out).toMatch(/flags:[^;]*\baa\b/);
    expect(out).toMatch(/www\.shop\.example\.\s+60\s+IN\s+CNAME\s+(eu|us)\.shop\.example\./);
    expect(out).toMatch(/(eu|us)\.shop\.example\.\s+60\s+IN\s+A\s+192\.0\.2\.[12]/);
  });
});

describe('the company zone as targets go down, seen by dig', () => {
  const short = async (name: string): Promise<string[]> =>
    (await dig('+short', name, 'A'))
      .trim()
      .split('\n')
      .filter((l) => l !== '');
  const set = (slots: number[], status: Status): void => {
    for (const s of slots) table.set(s, status);
    table.publish();
  };

  it('api fails over from the EU region to the US one only when every EU target is down, and back', async () => {
    expect(['192.0.2.101', '192.0.2.102']).toContain((await short('api.shop.example'))[0]);
    set([3], Status.UNHEALTHY);
    expect(await short('api.shop.example')).toEqual(['192.0.2.102']);
    set([4], Status.UNHEALTHY);
    expect(['192.0.2.201', '192.0.2.202']).toContain((await short('api.shop.example'))[0]);
    set([5], Status.UNHEALTHY);
    expect(await short('api.shop.example')).toEqual(['192.0.2.202']);
    // Everything down: Route 53 answers as if all were healthy, at each level: the primary region.
    set([6], Status.UNHEALTHY);
    expect(['192.0.2.101', '192.0.2.102']).toContain((await short('api.shop.example'))[0]);
    set([3, 4, 5, 6], Status.HEALTHY);
    expect(['192.0.2.101', '192.0.2.102']).toContain((await short('api.shop.example'))[0]);
  });

  it('the wildcard answers names that do not exist, not the ones that do', async () => {
    expect(await short('anything.shop.example')).toEqual(['192.0.2.80']);
    expect(await short('mail.shop.example')).toEqual(['192.0.2.25']);
  });
});
