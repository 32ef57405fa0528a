import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Resolver } from '../src/resolve/resolver.js';
import { Responder } from '../src/dns/responder.js';
import { DnsFront } from '../src/serving/dns-front.js';
import { DnsServer, type DnsResponder } from '../src/serving/server.js';
import { UrndError } from '../src/errors.js';
import { addresses, frames, query, queryUdp, TcpClient } from './support/dns-client.js';

/**
 * What a DNS server must survive and bound: 100,000 random and mutated
 * datagrams; TCP clients that send bad lengths, nothing, half a frame, a
 * trickle, too many connections, or never read; and a stalled event loop,
 * after which it sheds the queries that waited instead of answering them.
 */
const IDLE_MS = 300;
const MAX_CONNECTIONS = 4;
const doc = {
  cell: { name: 'limits', capacity: 16 },
  dns: { listen: '127.0.0.1:5353', tcpIdleTimeout: `${IDLE_MS}ms`, tcpMaxConnections: MAX_CONNECTIONS },
  zones: [{ origin: 'x.test' }],
  records: [
    { name: 'www.x.test', type: 'A', answers: [{ value: '192.0.2.10' }] },
    {
      name: 'big.x.test',
      type: 'A',
      policy: 'simple',
      answers: Array.from({ length: 100 }, (_, i) => ({ value: `198.51.100.${i + 1}` })),
    },
  ],
};
const plan = compileConfig(doc);
const table = StatusTable.create(16);
let front: DnsFront;

beforeAll(async () => {
  front = await DnsFront.start(plan, table, { listen: { host: '127.0.0.1', port: 0 }, log: () => {} });
});

afterAll(async () => {
  await front?.stop();
});

/** xorshift32: the same "random" packets every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const SEEDS = [
  query('www.x.test', 'A', 1),
  query('www.x.test', 'AAAA', 2, true),
  query('big.x.test', 'A', 3, true),
  query('nope.x.test', 'MX', 4),
  query('x.test', 'SOA', 5),
  dnsPacket.encode({
    type: 'query',
    id: 6,
    flags: 0,
    questions: [
      { type: 'A', name: 'www.x.test' },
      { type: 'NS', name: 'x.test' },
    ],
  }),
];

/** Random bytes (a third), or a valid query with bytes flipped, cut, or grown. */
function badPacket(r: () => number): Buffer {
  if (r() < 0.33) {
    const b = Buffer.allocUnsafe(Math.floor(r() * 600));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    return b;
  }
  const seed = SEEDS[Math.floor(r() * SEEDS.length)] as Buffer;
  let b = Buffer.from(seed);
  const flips = 1 + Math.floor(r() * 6);
  for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  const shape = r();
  if (shape < 0.2) b = b.subarray(0, Math.floor(r() * b.length));
  else if (shape < 0.3) b = Buffer.concat([b, Buffer.alloc(Math.floor(r() * 100), Math.floor(r() * 256))]);
  return b;
}

describe('DNS server: bad input', () => {
  it('survives 100,000 random and mutated datagrams, then answers correctly', async () => {
    const TOTAL = 100_000;
    const BATCH = 200;
    // Paced to 20,000 a second (5 s), stopped at 10 s whatever was sent; what
    // the server cannot take the kernel drops, and /proc/net/udp counts.
    const RATE = 20_000;
    const DEADLINE_MS = 10_000;
    const r = rng(20261123);
    const sender = dgram.createSocket('udp4');
    let replies = 0;
    let undecodable = 0;
    let sendErrors = 0;
    sender.on('error', () => (sendErrors += 1));
    sender.on('message', (msg) => {
      replies += 1;
      try {
        dnsPacket.decode(msg);
      } catch {
        undecodable += 1;
      }
    });
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
    const t0 = Date.now();
    let sent = 0;
    while (sent < TOTAL && Date.now() - t0 < DEADLINE_MS) {
      for (let i = 0; i < BATCH; i++) sender.send(badPacket(r), front.port, '127.0.0.1');
      sent += BATCH;
      const due = t0 + (sent / RATE) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    const elapsed = Date.now() - t0;
    // Let the server drain its backlog before the sender's port is freed: a
    // late reply to a reused port could otherwise reach another test's socket.
    const drainedBy = Date.now() + 3000;
    for (let prev = -1; Date.now() < drainedBy; ) {
      const s = await front.stats();
      const seen = s.udpReceived + (s.udpKernelDrops ?? 0);
      if (seen >= sent && seen === prev) break;
      prev = seen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    sender.close();

    // Still alive, still right.
    expect(front.crashes).toBe(0);
    expect(front.thread).not.toBeNull();
    expect(addresses(await queryUdp(front.port, 'www.x.test'))).toEqual(['192.0.2.10']);
    const stats = await front.stats();
    console.log(
      `fuzz: sent ${sent} in ${elapsed} ms; server received ${stats.udpReceived}, answered ${stats.udpAnswered}, ignored ${stats.udpIgnored}, shed ${stats.udpShed}, ` +
        `kernel drops ${stats.udpKernelDrops}, send errors ${sendErrors}; replies decoded by dns-packet ${replies - undecodable}/${replies}; ` +
        `responder fast ${stats.responder.fastPath}, slow ${stats.responder.slowPath}, formerr ${stats.responder.formerr}`,
    );
    expect(sent).toBeGreaterThanOrEqual(TOTAL / 2);
    expect(stats.udpReceived).toBeGreaterThan(0);
    // Every datagram is accounted for: received, or dropped by the kernel (Linux), plus the final query.
    if (stats.udpKernelDrops !== null && sendErrors === 0)
      expect(stats.udpReceived + stats.udpKernelDrops).toBe(sent + 1);
    expect(stats.udpReceived).toBeLessThanOrEqual(sent + 1);
    expect(stats.responderErrors).toBe(0);
    expect(stats.responder.errors).toBe(0);
    expect(undecodable).toBe(0);
  }, 30_000);
});

describe('DNS server: TCP limits', () => {
  it('a length prefix of 0, or over the largest query, closes the connection at once', async () => {
    const before = await front.stats();
    for (const prefix of [Buffer.from([0xff, 0xff]), Buffer.from([0x00, 0x00])]) {
      const c = await TcpClient.connect(front.port);
      const t = Date.now();
      c.write(prefix);
      const ms = await c.closed(IDLE_MS * 5, t);
      expect(ms).toBeLessThan(IDLE_MS / 2);
    }
    const after = await front.stats();
    expect(after.tcpClosedBadLength - before.tcpClosedBadLength).toBe(2);
  });

  it('an idle connection is closed after tcpIdleTimeout', async () => {
    const before = await front.stats();
    const c = await TcpClient.connect(front.port);
    const ms = await c.closed(IDLE_MS * 10);
    expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 20);
    expect(ms).toBeLessThan(IDLE_MS + 700);
    expect((await front.stats()).tcpClosedIdle - before.tcpClosedIdle).toBe(1);
  });

  it('a half-sent frame, or one trickled a byte at a time, is closed at the idle timeout', async () => {
    const before = await front.stats();
    const half = await TcpClient.connect(front.port);
    const q = frames(query('www.x.test', 'A', 9));
    half.write(q.subarray(0, 10));
    const trickle = await TcpClient.connect(front.port);
    let i = 0;
    const timer = setInterval(() => {
      if (i < q.length) trickle.write(q.subarray(i, i + 1));
      i += 1;
    }, IDLE_MS / 6);
    try {
      // The trickle would finish its frame only after ~q.length × 50 ms: bytes alone are not activity.
      expect(q.length * (IDLE_MS / 6)).toBeGreaterThan(IDLE_MS * 2);
      expect(await half.closed(IDLE_MS * 10)).toBeLessThan(IDLE_MS + 700);
      expect(await trickle.closed(IDLE_MS * 10)).toBeLessThan(IDLE_MS + 700);
    } finally {
      clearInterval(timer);
    }
    expect((await front.stats()).tcpClosedPartial - before.tcpClosedPartial).toBe(2);
  });

  it(`at most ${MAX_CONNECTIONS} connections: the next is closed at once and counted, and a freed place is usable`, async () => {
    const before = await front.stats();
    const open = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => TcpClient.connect(front.port)));
    // Keep them busy (a query each well within the idle timeout).
    let id = 200;
    const keepAlive = setInterval(() => {
      for (const c of open) c.write(frames(query('www.x.test', 'A', id++)));
    }, IDLE_MS / 3);
    try {
      for (const c of open) c.write(frames(query('www.x.test', 'A', id++)));
      await Promise.all(open.map((c) => c.replyCount(1)));
      expect((await front.stats()).tcpOpen).toBe(MAX_CONNECTIONS);
      const extra = await TcpClient.connect(front.port);
      const t = Date.now();
      extra.write(frames(query('www.x.test', 'A', 1)));
      expect(await extra.closed(IDLE_MS * 5, t)).toBeLessThan(IDLE_MS / 2);
      expect(extra.replies).toHaveLength(0);
      expect((await front.stats()).tcpRejected - before.tcpRejected).toBe(1);
      expect(open.every((c) => c.closedAt === null)).toBe(true);

      open[0]?.destroy();
      await open[0]?.closed();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await TcpClient.connect(front.port);
      again.write(frames(query('www.x.test', 'A', 77)));
      const [reply] = await again.replyCount(1);
      expect(reply?.id).toBe(77);
      again.destroy();
    } finally {
      clearInterval(keepAlive);
      for (const c of open) c.destroy();
    }
  });
});

describe('DNS server: shedding (in-process, where the test can stall the loop)', () => {
  const servers: DnsServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function serve(responder?: DnsResponder): Promise<DnsServer> {
    const t = StatusTable.create(16);
    const resolver = new Resolver(plan, t);
    const server = new DnsServer(resolver, responder ?? new Responder(resolver), { host: '127.0.0.1', port: 0 });
    servers.push(server);
    await server.start();
    return server;
  }

  it('datagrams that waited behind a stalled event loop are shed, counted, and answering resumes', async () => {
    const server = await serve();
    const port = server.address?.port as number;
    expect(addresses(await queryUdp(port, 'www.x.test'))).toEqual(['192.0.2.10']);
    const sender = dgram.createSocket('udp4');
    let replies = 0;
    sender.on('message', () => (replies += 1));
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
    const N = 50;
    await new Promise<void>((resolve) => {
      let left = N;
      for (let i = 0; i < N; i++)
        sender.send(query('www.x.test', 'A', i + 1), port, '127.0.0.1', () => --left === 0 && resolve());
    });
    // Stall this thread's loop for 2× the 200 ms bound while the datagrams wait in the kernel.
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // busy
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = server.stats();
    expect(stats.udpShed).toBe(N);
    expect(replies).toBe(0);
    expect(stats.maxLagMs).toBeGreaterThan(200);
    // Recovered: fresh queries are answered again.
    expect(addresses(await queryUdp(port, 'www.x.test'))).toEqual(['192.0.2.10']);
    sender.close();
  });

  it('a client that never reads its answers is paused, then closed as slow within the idle timeout', async () => {
    // A responder whose every answer is 60,000 bytes fills the kernel's buffers after a few dozen.
    const big = Buffer.alloc(60_000, 0x41);
    const server = await serve({ respond: () => big, counters: new Responder(new Resolver(plan, table)).counters });
    const port = server.address?.port as number;
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never read
    const t0 = Date.now();
    const q = frames(query('www.x.test', 'A', 1));
    for (let i = 0; i < 2000 && !socket.destroyed; i++) {
      socket.write(q);
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // (A paused client does not see the close until it reads: watch the server.)
    while (server.stats().tcpOpen > 0 && Date.now() - t0 < 5000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const ms = Date.now() - t0;
    const stats = server.stats();
    console.log(
      `slow client: closed after ${ms} ms, ${stats.tcpAnswered} answers of 60,000 bytes written, paused ${stats.tcpPaused} times`,
    );
    expect(stats.tcpOpen).toBe(0);
    expect(stats.tcpClosedSlow).toBe(1);
    expect(stats.tcpPaused).toBeGreaterThanOrEqual(1);
    // Bounded: at most tcpMaxInFlight answers were ever waiting on it.
    expect(ms).toBeLessThan(IDLE_MS + 2000);
    socket.destroy();
  });
});

describe('DNS front: one resolver thread per process', () => {
  it('dns.workers > 1 is rejected with URND_ERR_DNS_WORKERS', async () => {
    const two = compileConfig({ ...doc, dns: { listen: '127.0.0.1:5353', workers: 2 } });
    const err = await DnsFront.start(two, StatusTable.create(16), { listen: { host: '127.0.0.1', port: 0 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UrndError);
    expect((err as UrndError).code).toBe('URND_ERR_DNS_WORKERS');
    expect((err as UrndError).message).toContain('dns.workers: 2');
  });

  it('an address in use is rejected with URND_ERR_DNS_LISTEN naming it', async () => {
    const err = await DnsFront.start(plan, StatusTable.create(16), {
      listen: { host: '127.0.0.1', port: front.port },
    }).catch((e: unknown) => e);
    expect((err as UrndError).code).toBe('URND_ERR_DNS_LISTEN');
    expect((err as UrndError).message).toContain(`127.0.0.1:${front.port}`);
    expect((err as UrndError).message).toContain('address already in use');
  });
});
