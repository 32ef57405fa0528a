import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promises as dnsPromises } from 'node:dns';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { DnsFront } from '../src/serving/dns-front.js';
import { addresses, frames, query, queryUdp, rcode, TcpClient } from './support/dns-client.js';

/**
 * A DnsFront — a resolver worker thread owning a UDP socket and a TCP server
 * on 127.0.0.1 — answers real clients: Node's own stub resolver (c-ares),
 * a hand-written length-framed TCP client with pipelined queries, and dig
 * when it is installed. The test writes statuses into the StatusTable on
 * this thread; the worker reads them lock-free and answers accordingly.
 */
const plan = compileConfig({
  cell: { name: 'dnstest', capacity: 16 },
  checks: [
    { id: 'p0', slot: 0, type: 'tcp', host: '127.0.0.1', port: 9 },
    { id: 'p1', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 },
  ],
  zones: [{ origin: 'x.test', ttl: 30 }],
  records: [
    { name: 'www.x.test', type: 'A', answers: [{ value: '192.0.2.10' }] },
    { name: 'www.x.test', type: 'AAAA', answers: [{ value: '2001:db8::10' }] },
    {
      name: 'pool.x.test',
      type: 'A',
      policy: 'multivalue',
      answers: [
        { value: '192.0.2.1', check: 'p0' },
        { value: '192.0.2.2', check: 'p1' },
      ],
    },
  ],
});
const table = StatusTable.create(16);
let front: DnsFront;
let resolver: dnsPromises.Resolver;

beforeAll(async () => {
  front = await DnsFront.start(plan, table, { listen: { host: '127.0.0.1', port: 0 }, seed: 7, log: () => {} });
  resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${front.port}`]);
});

afterAll(async () => {
  await front?.stop();
});

describe('DNS server answers real clients', () => {
  it('binds the port the OS picked, on UDP and TCP', () => {
    expect(front.port).toBeGreaterThan(0);
    expect(front.address).toBe(`127.0.0.1:${front.port}`);
  });

  it("Node's resolver: A, AAAA, SOA, NS; NXDOMAIN is ENOTFOUND, outside our zones is EREFUSED", async () => {
    expect(await resolver.resolve4('www.x.test')).toEqual(['192.0.2.10']);
    expect(await resolver.resolve6('www.x.test')).toEqual(['2001:db8::10']);
    const ttl = await resolver.resolve4('www.x.test', { ttl: true });
    expect(ttl).toEqual([{ address: '192.0.2.10', ttl: 30 }]);
    const soa = await resolver.resolveSoa('x.test');
    expect(soa.nsname).toMatch(/x\.test$/);
    expect((await resolver.resolveNs('x.test')).length).toBeGreaterThanOrEqual(1);
    await expect(resolver.resolve4('nope.x.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('www.elsewhere.test')).rejects.toMatchObject({ code: 'EREFUSED' });
    await expect(resolver.resolve6('pool.x.test')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('answers follow the shared StatusTable written on another thread', async () => {
    expect(addresses(await queryUdp(front.port, 'pool.x.test'))).toEqual(['192.0.2.1', '192.0.2.2']);
    table.set(1, Status.UNHEALTHY);
    table.publish();
    expect(addresses(await queryUdp(front.port, 'pool.x.test'))).toEqual(['192.0.2.1']);
    table.set(1, Status.HEALTHY);
    table.publish();
    expect(addresses(await queryUdp(front.port, 'pool.x.test'))).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it('TCP: length-framed answers, two pipelined queries in one write answered in order', async () => {
    const client = await TcpClient.connect(front.port);
    try {
      client.write(frames(query('www.x.test', 'A', 101), query('www.x.test', 'AAAA', 102)));
      const replies = await client.replyCount(2);
      expect(replies.map((r) => r.id)).toEqual([101, 102]);
      expect(addresses(replies[0]!)).toEqual(['192.0.2.10']);
      expect(addresses(replies[1]!)).toEqual(['2001:db8::10']);
      // The connection stays open for more.
      client.write(frames(query('nope.x.test', 'A', 103)));
      const [, , third] = await client.replyCount(3);
      expect(third?.id).toBe(103);
      expect(rcode(third as NonNullable<typeof third>)).toBe('NXDOMAIN');
    } finally {
      client.destroy();
    }
  });

  it('TCP: 100 pipelined queries in one write are all answered, in order', async () => {
    const client = await TcpClient.connect(front.port);
    try {
      const ids = Array.from({ length: 100 }, (_, i) => 1000 + i);
      client.write(frames(...ids.map((id) => query('www.x.test', 'A', id))));
      const replies = await client.replyCount(ids.length);
      expect(replies.map((r) => r.id)).toEqual(ids);
      const stats = await front.stats();
      // More than tcpMaxInFlight (32) at once: reading paused and resumed.
      expect(stats.tcpPaused).toBeGreaterThanOrEqual(1);
    } finally {
      client.destroy();
    }
  });

  it('a config reload (setPlan) changes the answers from the next query; another capacity is refused', async () => {
    const next = compileConfig({
      cell: { name: 'dnstest', capacity: 16 },
      zones: [{ origin: 'x.test', ttl: 30 }],
      records: [{ name: 'www.x.test', type: 'A', answers: [{ value: '192.0.2.99' }] }],
    });
    // The plan travels by message, the query by socket: the worker sees the plan within a few ms.
    const answerBecomes = async (want: string) => {
      const t0 = Date.now();
      while (addresses(await queryUdp(front.port, 'www.x.test')).join() !== want && Date.now() - t0 < 2000) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(addresses(await queryUdp(front.port, 'www.x.test'))).toEqual([want]);
    };
    front.setPlan(next);
    await answerBecomes('192.0.2.99');
    const bigger = compileConfig({
      cell: { name: 'dnstest', capacity: 32 },
      zones: [{ origin: 'x.test' }],
      records: [],
    });
    expect(() => front.setPlan(bigger)).toThrow(expect.objectContaining({ code: 'URND_ERR_ARGUMENT' }));
    front.setPlan(plan);
    await answerBecomes('192.0.2.10');
  });

  const hasDig = (() => {
    try {
      execFileSync('which', ['dig'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!hasDig) console.log('dig is not installed: skipping the dig checks (CI installs bind9-dnsutils)');

  it.skipIf(!hasDig)('dig: UDP, +tcp and +norec', async () => {
    const dig = (...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          'dig',
          [`@127.0.0.1`, '-p', String(front.port), '+time=2', '+tries=1', ...args],
          { timeout: 10_000 },
          (err, stdout) => (err === null ? resolve(stdout.trim()) : reject(err)),
        );
      });
    expect(await dig('www.x.test', 'A', '+short')).toBe('192.0.2.10');
    expect(await dig('www.x.test', 'AAAA', '+short', '+tcp')).toBe('2001:db8::10');
    const full = await dig('www.x.test', 'A', '+norec');
    expect(full).toMatch(/status: NOERROR/);
    expect(full).toMatch(/flags: qr aa;/);
    expect(await dig('nope.x.test', 'A', '+tcp')).toMatch(/status: NXDOMAIN/);
  });
});
