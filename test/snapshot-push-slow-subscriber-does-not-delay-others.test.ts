import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../src/snapshot/frame.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { FrameListener, FramePublisher, type SubscriberStats } from '../src/snapshot/push.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';

/**
 * Real TCP on loopback. Three subscribers: a healthy FrameListener, a server
 * that accepts and never reads (its kernel buffers fill after a few MB), and
 * a closed port. 256 KiB frames, so the stuck one backs up within a few dozen
 * frames of the 200.
 */
const C = 262_144;
const FRAMES = 200;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves when `cond()` holds; fails after `ms`. Polls once per event-loop turn (bounded by time). */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('FramePublisher: a slow or dead subscriber never delays the others', () => {
  it('healthy gets every frame promptly and in order; stuck holds ≤ 1 pending; dead is retried once per publish; a restarted listener gets frames again', async () => {
    const received: { seq: number; at: number }[] = [];
    const onFrame = (bytes: Buffer) => {
      received.push({
        seq: decodeSnapshot(bytes, { cell: 'c', capacity: C, kind: 'status' }).sequence,
        at: performance.now(),
      });
    };
    let healthy = await FrameListener.listen({ host: '127.0.0.1', port: 0, maxBytes: 2 * C }, onFrame);
    cleanups.push(() => healthy.close());
    const healthyPort = healthy.address.port;

    const stuckSockets: net.Socket[] = [];
    const stuck = net.createServer({ pauseOnConnect: true }, (s) => {
      stuckSockets.push(s); // accepted, never read
      s.on('error', () => {});
    });
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of stuckSockets) s.destroy();
          stuck.close(() => r());
        }),
    );
    const deadPort = await closedPort();

    const logs: string[] = [];
    const pub = new FramePublisher(
      [
        { host: '127.0.0.1', port: healthyPort },
        { host: '127.0.0.1', port: (stuck.address() as net.AddressInfo).port },
        { host: '127.0.0.1', port: deadPort },
      ],
      { maxQueuedFrames: 1, connectTimeoutMs: 1000, stallTimeoutMs: 60_000, log: (m) => logs.push(m) },
    );
    cleanups.push(() => pub.close());

    const table = StatusTable.create(C);
    const enc = new SnapshotEncoder({ cell: 'c', configVersion: 'v1' });
    const publishedAt: number[] = [];
    let frameLength = 0;
    let prevDeadFailures = 0;
    let maxStuckBuffered = 0;
    for (let i = 1; i <= FRAMES; i++) {
      table.fill(i % 2 ? Status.HEALTHY : Status.UNHEALTHY);
      const frame = enc.encodeStatus(table);
      frameLength = frame.length;
      publishedAt[i] = performance.now();
      pub.publish(frame);
      const [, st, dead] = pub.stats() as [SubscriberStats, SubscriberStats, SubscriberStats];
      // Our memory for the stuck subscriber: one frame in the socket at most, plus one pending.
      expect(st.pendingFrames).toBeLessThanOrEqual(1);
      expect(st.bufferedBytes).toBeLessThanOrEqual(frame.length + 4);
      maxStuckBuffered = Math.max(maxStuckBuffered, st.bufferedBytes);
      // One connection attempt per publish at most, no retries in between.
      expect(dead.connectFailures - prevDeadFailures).toBeLessThanOrEqual(1);
      expect(dead.connectFailures).toBeLessThanOrEqual(i);
      prevDeadFailures = dead.connectFailures;
      // The healthy subscriber has this frame within the tick, whatever the other two are doing.
      await until(() => received.length >= i, 2000, `frame ${i} at the healthy listener`);
      // let the dead subscriber's refused connection come back before the next tick
      await new Promise((r) => setTimeout(r, 2));
    }

    expect(received.map((r) => r.seq)).toEqual(Array.from({ length: FRAMES }, (_, k) => k + 1));
    const latencies = received.map((r) => r.at - (publishedAt[r.seq] as number)).sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(50);
    expect(latencies[latencies.length - 1]).toBeLessThan(1000);

    const [h, st, dead] = pub.stats() as [SubscriberStats, SubscriberStats, SubscriberStats];
    expect(h).toMatchObject({ connected: true, replaced: 0, dropped: 0, connects: 1, connectFailures: 0 });
    expect(h.sent).toBe(FRAMES);
    // The stuck one filled up: most frames were replaced by newer ones, never queued.
    expect(st.connected).toBe(true);
    expect(st.replaced).toBeGreaterThan(FRAMES / 2);
    expect(st.sent + st.replaced + st.pendingFrames + 1).toBeGreaterThanOrEqual(FRAMES); // +1: the frame in flight
    expect(maxStuckBuffered).toBeGreaterThan(0);
    // The dead one: one attempt per publish, each refused.
    expect(dead).toMatchObject({ connected: false, connects: 0, sent: 0 });
    expect(dead.connectFailures).toBeGreaterThan(FRAMES / 2);
    expect(dead.connectFailures).toBeLessThanOrEqual(FRAMES);
    expect(dead.lastError).toBe('ECONNREFUSED');
    // Logged once when it started failing, not once per attempt.
    expect(logs.filter((m) => m.includes(`:${deadPort}: cannot connect`)).length).toBe(1);

    // The healthy listener restarts on the same port: the publisher sees the close,
    // and the next publish reconnects and delivers.
    await healthy.close();
    await until(() => pub.stats()[0]?.connected === false, 2000, 'the publisher to see the listener go');
    healthy = await FrameListener.listen({ host: '127.0.0.1', port: healthyPort, maxBytes: 2 * C }, onFrame);
    const before = received.length;
    pub.publish(enc.encodeStatus(table));
    await until(() => received.length > before, 2000, 'a frame at the restarted listener');
    expect(received[received.length - 1]?.seq).toBe(FRAMES + 1);
    expect(pub.stats()[0]).toMatchObject({ connected: true, connects: 2, disconnects: 1 });
    expect(frameLength).toBeGreaterThan(C);
  });

  it('a subscriber that stops reading is disconnected after stallTimeoutMs and reconnected on a later publish', async () => {
    const sockets: net.Socket[] = [];
    const stuck = net.createServer({ pauseOnConnect: true }, (s) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          stuck.close(() => r());
        }),
    );
    const pub = new FramePublisher([{ host: '127.0.0.1', port: (stuck.address() as net.AddressInfo).port }], {
      stallTimeoutMs: 150,
    });
    cleanups.push(() => pub.close());
    const frame = Buffer.alloc(1 << 20, 7);
    const deadline = Date.now() + 5000;
    // Publish every 10 ms until a stall has been seen and a new connection made (bounded by time).
    while (!((pub.stats()[0]?.stalls ?? 0) >= 1 && (pub.stats()[0]?.connects ?? 0) >= 2)) {
      if (Date.now() > deadline) throw new Error(`no stall + reconnect: ${JSON.stringify(pub.stats()[0])}`);
      pub.publish(frame);
      expect(pub.stats()[0]?.pendingFrames).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(pub.stats()[0]).toMatchObject({ disconnects: 1, connectFailures: 0 });
    expect(sockets.length).toBe(2);
  });

  it('FrameListener closes a connection whose length prefix is over maxBytes, and counts it', async () => {
    const frames: Buffer[] = [];
    const listener = await FrameListener.listen({ maxBytes: 100 }, (b) => {
      frames.push(Buffer.from(b));
    });
    cleanups.push(() => listener.close());
    const sock = net.connect(listener.address.port, '127.0.0.1');
    sock.on('error', () => {});
    // The listener acknowledges each genuine frame with one byte: read them (a paused socket would not see the close).
    const acks: number[] = [];
    sock.on('data', (b: Buffer) => acks.push(...b));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const ok = Buffer.from([0, 0, 0, 3, 1, 2, 3]);
    // one good frame split across writes, then a 101-byte prefix
    sock.write(ok.subarray(0, 2));
    await new Promise((r) => setTimeout(r, 5));
    sock.write(ok.subarray(2, 5));
    await new Promise((r) => setTimeout(r, 5));
    sock.write(Buffer.concat([ok.subarray(5), Buffer.from([0, 0, 0, 101])]));
    await new Promise<void>((r) => sock.once('close', () => r()));
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3]]);
    expect(acks).toEqual([0x06]); // one acknowledgement, for the one genuine frame
    expect(listener.stats()).toMatchObject({
      frames: 1,
      closed: { oversized: 1 },
      accepted: 1,
      connections: 0,
      partial: 0,
    });
  });
});
