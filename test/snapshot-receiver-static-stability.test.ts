import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMaxFrameBytes, FRAME_HEADER_BYTES } from '../src/snapshot/frame.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { FrameListener, FramePublisher } from '../src/snapshot/push.js';
import { SnapshotReceiver } from '../src/snapshot/receiver.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { buildCell, tcpChecks } from './support/cell.js';

/**
 * A DNS-side process: FrameListener → SnapshotReceiver → StatusTable ← Resolver.
 * The aggregator side: StatusTable → SnapshotEncoder → FramePublisher. All on loopback.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('static stability: a receiver that stops getting frames keeps answering from its last good table', () => {
  it('staleness grows, the table and answers stay; a corrupted frame is rejected and counted; the next good frame heals', async () => {
    // DNS side: a failover name whose primary is slot 0 and secondary slot 1.
    const dns = buildCell({
      checks: tcpChecks(2),
      records: [
        {
          name: 'api.t.test',
          type: 'A',
          policy: 'failover',
          answers: [
            { value: '127.0.0.1', role: 'primary', check: 'c0' },
            { value: '127.0.0.2', role: 'secondary', check: 'c1' },
          ],
        },
      ],
    });
    const rx = new SnapshotReceiver(dns.table, { cell: 'test', tickMs: 100 });
    const listener = await FrameListener.listen(
      { host: '127.0.0.1', port: 0, maxBytes: defaultMaxFrameBytes(64, 'status') },
      (bytes) => {
        rx.receive(bytes);
      },
    );
    cleanups.push(() => listener.close());
    const answer = () => dns.resolver.resolve('api.t.test', 'A').addresses;

    // Aggregator side: primary down, secondary up.
    const agg = StatusTable.create(64);
    agg.set(0, Status.UNHEALTHY);
    agg.set(1, Status.HEALTHY);
    const enc = new SnapshotEncoder({ cell: 'test', configVersion: dns.plan.version });
    const pub = new FramePublisher([listener.address]);
    cleanups.push(() => pub.close());
    pub.publish(enc.encodeStatus(agg));
    await until(() => rx.counters.applied === 1, 2000, 'the first frame');
    expect(answer()).toEqual(['127.0.0.2']);
    const lastGood = Buffer.from(dns.table.statuses);
    const appliedAt = Date.now();

    // The aggregator goes away. Nothing more arrives.
    pub.close();
    await until(() => listener.stats().connections === 0, 2000, 'the sender to disconnect');
    const s1 = rx.staleness();
    await new Promise((r) => setTimeout(r, 250));
    const s2 = rx.staleness();
    expect(s2.secondsSinceLastGood as number).toBeGreaterThan(s1.secondsSinceLastGood as number);
    expect(s2.secondsSinceLastGood as number).toBeGreaterThanOrEqual(0.2);
    expect(s2.ticksBehind as number).toBeGreaterThanOrEqual(2); // 100 ms ticks
    expect(s2).toMatchObject({ lastSequence: 1, epoch: enc.epoch, configVersion: dns.plan.version, sequenceLag: 0 });
    // …and an hour later by the clock, still the same table and the same answers.
    const later = rx.staleness(appliedAt + 3_600_000);
    expect(later.secondsSinceLastGood as number).toBeGreaterThan(3599);
    expect(later.ticksBehind as number).toBeGreaterThan(35_000);
    expect(Buffer.from(dns.table.statuses).equals(lastGood)).toBe(true);
    for (let q = 0; q < 50; q++) expect(answer()).toEqual(['127.0.0.2']);

    // A corrupted frame on the wire (primary now healthy, one payload bit flipped in transit).
    agg.set(0, Status.HEALTHY);
    const good = enc.encodeStatus(agg);
    const corrupted = Buffer.from(good);
    corrupted[corrupted.length - 4 - 10] = (corrupted[corrupted.length - 4 - 10] as number) ^ 0x04;
    const raw = net.connect(listener.address.port, '127.0.0.1');
    raw.on('error', () => {});
    cleanups.push(() => void raw.destroy());
    await new Promise<void>((r) => raw.once('connect', () => r()));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(corrupted.length);
    raw.write(Buffer.concat([prefix, corrupted]));
    await until(() => rx.counters.checksum === 1, 2000, 'the corrupted frame');
    expect(rx.lastError?.code).toBe('URND_ERR_FRAME_CHECKSUM');
    expect(Buffer.from(dns.table.statuses).equals(lastGood)).toBe(true);
    expect(answer()).toEqual(['127.0.0.2']);
    expect(rx.staleness().lastSequence).toBe(1);

    // The next good frame heals: the same bytes, uncorrupted.
    prefix.writeUInt32BE(good.length);
    raw.write(Buffer.concat([prefix, good]));
    await until(() => rx.counters.applied === 2, 2000, 'the good frame');
    expect(answer()).toEqual(['127.0.0.1']);
    expect(dns.table.get(0)).toBe(Status.HEALTHY);
    const healed = rx.staleness();
    expect(healed.lastSequence).toBe(2);
    expect(healed.secondsSinceLastGood as number).toBeLessThan(1);
    expect(rx.counters).toMatchObject({ received: 3, applied: 2, checksum: 1 });
    expect(good.length).toBeGreaterThan(FRAME_HEADER_BYTES + 64);
  });

  it('a frame cut off by a dropped connection is lost, not half-applied; the next one heals', async () => {
    const table = StatusTable.create(64);
    table.fill(Status.HEALTHY);
    const rx = new SnapshotReceiver(table, { cell: 'test' });
    const listener = await FrameListener.listen({ maxBytes: 4096 }, (bytes) => {
      rx.receive(bytes);
    });
    cleanups.push(() => listener.close());
    const src = StatusTable.create(64);
    src.fill(Status.UNHEALTHY);
    const enc = new SnapshotEncoder({ cell: 'test', configVersion: 'v1' });
    const first = enc.encodeStatus(src);
    const sock = net.connect(listener.address.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(first.length);
    sock.end(Buffer.concat([prefix, first.subarray(0, 60)]));
    await until(() => listener.stats().partial === 1, 2000, 'the cut connection');
    expect(rx.counters.received).toBe(0);
    expect(table.counts()).toEqual([0, 64, 0]);

    const pub = new FramePublisher([listener.address]);
    cleanups.push(() => pub.close());
    pub.publish(enc.encodeStatus(src));
    await until(() => rx.counters.applied === 1, 2000, 'the next frame');
    expect(table.counts()).toEqual([0, 0, 64]);
  });
});
