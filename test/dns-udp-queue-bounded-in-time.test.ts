import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { DnsFront } from '../src/serving/dns-front.js';
import { kBytesPerQueuedDatagram, UdpQueueBound } from '../src/serving/udp-queue-bound.js';

/**
 * The UDP receive queue is bounded in time: the receive buffer holds
 * maxQueueMs of queries at the answer rate measured per busy second, so a
 * faster thread gets a bigger buffer and a slower one a smaller, and a
 * bursty client that leaves the thread idle does not shrink it.
 */
describe('UdpQueueBound sizes the buffer from the busy-time answer rate', () => {
  const options = { maxQueueMs: 5, initialRateQps: 50_000, minBytes: 32 * 1024, maxBytes: 1024 * 1024 };

  it('requests maxQueueMs of datagrams at the rate, halved for the kernel doubling', () => {
    const b = new UdpQueueBound(options);
    expect(b.requestBytes()).toBe(Math.ceil((50_000 * 5 * kBytesPerQueuedDatagram) / 1000 / 2));
  });

  it('divides answers by busy time, not wall time: an idle half does not halve the rate', () => {
    const busy = new UdpQueueBound(options);
    const bursty = new UdpQueueBound(options);
    for (let i = 0; i < 8; i++) {
      busy.observe(80_000, 1000, 1);
      bursty.observe(40_000, 1000, 0.5);
    }
    expect(Math.abs(busy.rateQps - 80_000)).toBeLessThan(1000);
    expect(Math.abs(bursty.rateQps - 80_000)).toBeLessThan(1000);
    expect(busy.requestBytes()).toBeGreaterThan(new UdpQueueBound(options).requestBytes());
  });

  it('keeps its estimate through windows too quiet to measure, and stays within its bounds', () => {
    const b = new UdpQueueBound(options);
    expect(b.observe(10, 1000, 0.001)).toBe(false);
    expect(b.rateQps).toBe(50_000);
    for (let i = 0; i < 20; i++) b.observe(600, 1000, 1);
    expect(b.requestBytes()).toBe(options.minBytes);
    for (let i = 0; i < 20; i++) b.observe(10_000_000, 1000, 1);
    expect(b.requestBytes()).toBe(options.maxBytes);
  });
});

const plan = compileConfig({
  cell: { name: 'qbound', capacity: 16 },
  zones: [{ origin: 'q.test', ttl: 30 }],
  records: [{ name: 'www.q.test', type: 'A', answers: [{ value: '192.0.2.10' }] }],
});

describe('a DnsServer binds its UDP socket with the time-bounded buffer', () => {
  let bounded: DnsFront;
  let fixed: DnsFront;
  beforeAll(async () => {
    const table = StatusTable.create(16);
    bounded = await DnsFront.start(plan, table, {
      listen: { host: '127.0.0.1', port: 0 },
      tuning: { maxQueueMs: 5, initialRateQps: 20_000 },
      log: () => {},
    });
    fixed = await DnsFront.start(plan, table, {
      listen: { host: '127.0.0.1', port: 0 },
      tuning: { maxQueueMs: 0, recvBufferBytes: 512 * 1024 },
      log: () => {},
    });
  });
  afterAll(async () => {
    await bounded?.stop();
    await fixed?.stop();
  });

  it('is sized for maxQueueMs at the initial rate, reports the rate, and still answers', async () => {
    const s = await bounded.stats();
    const requested = Math.ceil((20_000 * 5 * kBytesPerQueuedDatagram) / 1000 / 2);
    // Linux grants twice the request; other systems what they grant.
    if (process.platform === 'linux') expect(s.udpRecvBufferBytes).toBe(2 * requested);
    expect(s.udpAnswerRateQps).toBe(20_000);
    const f = await fixed.stats();
    if (process.platform === 'linux') expect(f.udpRecvBufferBytes).toBe(2 * 512 * 1024);
    expect(f.udpAnswerRateQps).toBeNull();

    const socket = dgram.createSocket('udp4');
    const q = Buffer.from('000100000001000000000000037777770171047465737400000100 01'.replace(/ /g, ''), 'hex');
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply in 2 s')), 2000);
      socket.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      socket.send(q, bounded.port, '127.0.0.1');
    });
    socket.close();
    expect(reply.readUInt16BE(0)).toBe(1);
    expect(reply[3]! & 0x0f).toBe(0);
    expect(reply.readUInt16BE(6)).toBe(1);
  });
});

describe('dns.maxQueue in the config document', () => {
  const withQueue = (maxQueue: string) =>
    compileConfig({
      cell: { name: 'qbound', capacity: 16 },
      dns: { maxQueue },
      zones: [{ origin: 'q.test', ttl: 30 }],
      records: [{ name: 'www.q.test', type: 'A', answers: [{ value: '192.0.2.10' }] }],
    });
  // 50,000 q/s: 2 ms of it is above the 32 KiB floor.
  const requestFor = (ms: number) => Math.ceil((50_000 * ms * kBytesPerQueuedDatagram) / 1000 / 2);

  it('defaults to 5 ms, and rejects a bound over 1 s in one line naming the field', () => {
    expect(plan.dns.maxQueueMs).toBe(5);
    expect(() => withQueue('2s')).toThrow(/dns\.maxQueue/);
  });

  it('sizes the receive buffer, and a config pass moves it: 2 ms, then 0 (a fixed buffer), then 5 ms', async () => {
    const front = await DnsFront.start(withQueue('2ms'), StatusTable.create(16), {
      listen: { host: '127.0.0.1', port: 0 },
      tuning: { initialRateQps: 50_000 },
      log: () => {},
    });
    // The resolver thread applies a plan a message later: read its stats until they show it, for at most 2 s.
    const settles = async (want: { buffer: number; rate: number | null }) => {
      const t0 = Date.now();
      for (;;) {
        const s = await front.stats();
        const got = { buffer: s.udpRecvBufferBytes, rate: s.udpAnswerRateQps };
        if ((process.platform !== 'linux' || got.buffer === want.buffer) && got.rate === want.rate) return;
        if (Date.now() - t0 > 2000) expect(got).toEqual(want);
        await new Promise((r) => setImmediate(r));
      }
    };
    try {
      await settles({ buffer: 2 * requestFor(2), rate: 50_000 });
      front.setPlan(withQueue('0ms'));
      await settles({ buffer: 2 * 1024 * 1024, rate: null });
      front.setPlan(withQueue('5ms'));
      await settles({ buffer: 2 * requestFor(5), rate: 50_000 });
    } finally {
      await front.stop();
    }
  });
});
