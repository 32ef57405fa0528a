import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { DnsFront } from '../src/serving/dns-front.js';

/**
 * `policy: ip` on a real DnsFront: the client is the EDNS Client Subnet
 * option when the query has one (dig +subnet), else the source address
 * (Node's resolver from 127.0.0.1, dig -b 127.0.2.1); the reply echoes the
 * option with the scope the match used, and carries none without one; an
 * unhealthy match falls back to the default answer.
 */
const plan = compileConfig({
  cell: { name: 'ip', capacity: 16 },
  checks: ['loop', 'lab', 'eu', 'def', 'x'].map((id, i) => ({
    id,
    slot: 1 + i,
    type: 'tcp',
    host: '127.0.0.1',
    port: 9,
  })),
  zones: [{ origin: 'ip.example', ttl: 60 }],
  cidrCollections: [
    {
      name: 'clients',
      locations: [
        { name: 'loopback', cidrs: ['127.0.0.0/8'] },
        { name: 'lab', cidrs: ['127.0.2.0/24'] },
        { name: 'eu', cidrs: ['192.0.2.0/24', '2001:db8::/32'] },
        { name: 'us', cidrs: ['198.51.100.0/24'] },
      ],
    },
  ],
  records: [
    {
      name: 'www.ip.example',
      type: 'A',
      policy: 'ip',
      cidrCollection: 'clients',
      answers: [
        { value: '10.0.0.1', location: 'loopback', check: 'loop' },
        { value: '10.0.0.2', location: 'lab', check: 'lab' },
        { value: '10.0.0.3', location: 'eu', check: 'eu' },
        { value: '10.0.0.9', location: '*', check: 'def' },
      ],
    },
    {
      name: 'closed.ip.example',
      type: 'A',
      policy: 'ip',
      cidrCollection: 'clients',
      whenAllUnhealthy: 'answer-none',
      answers: [
        { value: '10.0.1.3', location: 'eu', check: 'eu' },
        { value: '10.0.1.9', location: '*', check: 'x' },
      ],
    },
  ],
});
const table = StatusTable.create(16);
let front: DnsFront;
const run = promisify(execFile);

function dig(...args: string[]): Promise<string> {
  return run('dig', ['@127.0.0.1', '-p', String(front.port), '+time=3', '+tries=3', ...args]).then((r) => r.stdout);
}
const answerOf = (out: string): string[] =>
  [...out.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1] as string);
const subnetOf = (out: string): string | null => /CLIENT-SUBNET: (\S+)/.exec(out)?.[1] ?? null;
const set = (slots: number[], status: Status): void => {
  for (const s of slots) table.set(s, status);
  table.publish();
};

beforeAll(async () => {
  for (let s = 1; s <= 5; s++) table.set(s, Status.HEALTHY);
  table.publish();
  front = await DnsFront.start(plan, table, { listen: { host: '127.0.0.1', port: 0 }, seed: 5, log: () => {} });
});

afterAll(async () => {
  await front?.stop();
});

describe('the client: ECS when present, else the source address', () => {
  it("Node's resolver (source 127.0.0.1, no ECS) gets the loopback location's answer", async () => {
    const resolver = new dnsPromises.Resolver({ timeout: 3000, tries: 3 });
    resolver.setServers([`127.0.0.1:${front.port}`]);
    expect(await resolver.resolve4('www.ip.example')).toEqual(['10.0.0.1']);
  });

  it('dig from 127.0.2.1: the longer /24 wins over 127.0.0.0/8; no ECS in the query, none in the reply', async () => {
    const out = await dig('-b', '127.0.2.1', 'www.ip.example', 'A');
    expect(answerOf(out)).toEqual(['10.0.0.2']);
    expect(subnetOf(out)).toBeNull();
    expect(answerOf(await dig('-b', '127.0.3.1', 'www.ip.example', 'A'))).toEqual(['10.0.0.1']);
  });

  it.each([
    // subnet, answer, echoed option (address/source/scope)
    ['192.0.2.0/24', '10.0.0.3', '192.0.2.0/24/24'],
    ['192.0.2.128/25', '10.0.0.3', '192.0.2.128/25/24'],
    // 127.0.5.0 is loopback; the scope says 127.0.4.0/22 all gets it (127.0.2.0/24 answers otherwise).
    ['127.0.5.0/24', '10.0.0.1', '127.0.5.0/24/22'],
    ['127.0.2.0/24', '10.0.0.2', '127.0.2.0/24/24'],
    // us has no answer in this set: the default.
    ['198.51.100.0/24', '10.0.0.9', '198.51.100.0/24/24'],
    // A /16 client is shorter than the /24 block: no match (Route 53), the default; scope 23 >
    // source 16 (192.0.2.0/24 lies in 192.0.2.0/23) asks the resolver for more bits (§7.2.1).
    ['192.0.0.0/16', '10.0.0.9', '192.0.0.0/16/23'],
    ['2001:db8:1::/48', '10.0.0.3', '2001:db8:1::/48/32'],
    // SOURCE 0: the address is not to be used; the default, scope 0.
    ['0.0.0.0/0', '10.0.0.9', '0.0.0.0/0/0'],
  ])('dig +subnet=%s → %s, option echoed as %s', async (subnet, answer, echoed) => {
    const out = await dig(`+subnet=${subnet}`, 'www.ip.example', 'A');
    expect(answerOf(out)).toEqual([answer]);
    expect(subnetOf(out)).toBe(echoed);
  });

  it('ECS wins over the source address, over TCP too', async () => {
    const out = await dig('+tcp', '-b', '127.0.2.1', '+subnet=192.0.2.0/24', 'www.ip.example', 'A');
    expect(answerOf(out)).toEqual(['10.0.0.3']);
    expect(subnetOf(out)).toBe('192.0.2.0/24/24');
    expect(answerOf(await dig('+tcp', '-b', '127.0.2.1', 'www.ip.example', 'A'))).toEqual(['10.0.0.2']);
  });

  it('a name without an ip set echoes the option with scope 0', async () => {
    const out = await dig('+subnet=192.0.2.0/24', 'nothing.ip.example', 'A');
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(subnetOf(out)).toBe('192.0.2.0/24/0');
  });
});

describe('health: an unhealthy match falls back to the default', () => {
  it('eu down → default; eu and default down → eu as if healthy; answer-none → no answer', async () => {
    const eu = () => dig('+subnet=192.0.2.0/24', 'www.ip.example', 'A').then(answerOf);
    expect(await eu()).toEqual(['10.0.0.3']);
    set([3], Status.UNHEALTHY);
    expect(await eu()).toEqual(['10.0.0.9']);
    set([4], Status.UNHEALTHY);
    expect(await eu()).toEqual(['10.0.0.3']);
    // A client matching nothing: its match is the default itself.
    expect(answerOf(await dig('+subnet=198.51.100.0/24', 'www.ip.example', 'A'))).toEqual(['10.0.0.9']);
    set([5], Status.UNHEALTHY);
    const closed = await dig('+subnet=192.0.2.0/24', 'closed.ip.example', 'A');
    expect(closed).toMatch(/status: NOERROR/);
    expect(answerOf(closed)).toEqual([]);
    set([3], Status.HEALTHY);
    expect(answerOf(await dig('+subnet=192.0.2.0/24', 'closed.ip.example', 'A'))).toEqual(['10.0.1.3']);
    set([4, 5], Status.HEALTHY);
    expect(await eu()).toEqual(['10.0.0.3']);
  });
});

describe('a bad ECS option is FORMERR (RFC 7871 §7.2.1)', () => {
  async function ask(option: Record<string, unknown>): Promise<string> {
    const query = dnsPacket.encode({
      type: 'query',
      id: 7,
      questions: [{ type: 'A', name: 'www.ip.example' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [option] } as unknown as dnsPacket.Answer],
    });
    const socket = dgram.createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      socket.send(query, front.port, '127.0.0.1');
      return (dnsPacket.decode(await reply) as { rcode?: string }).rcode ?? '';
    } finally {
      socket.close();
    }
  }

  it('SCOPE not 0 in a query, an unknown FAMILY: FORMERR; a good option: NOERROR', async () => {
    expect(await ask({ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 8, ip: '192.0.2.0' })).toBe(
      'FORMERR',
    );
    expect(await ask({ code: 8, data: Buffer.from([0, 3, 24, 0, 192, 0, 2]) })).toBe('FORMERR');
    expect(await ask({ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '192.0.2.0' })).toBe(
      'NOERROR',
    );
  });
});
