import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { FrameListener, type CloseReason } from '../src/snapshot/frame-listener.js';

/**
 * FrameListener against single hostile peers, real sockets on loopback:
 * each way of not sending a whole genuine frame is closed and counted under
 * its own reason; when the listener is full, a newcomer evicts an unproven
 * connection and never a proven one.
 *
 * The handler here calls a frame genuine when its first byte is 0x47 ('G').
 */
const FRAME_TIMEOUT_MS = 1000;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(frameTimeoutMs: number, maxConnections?: number) {
  const frames: Buffer[] = [];
  const log: string[] = [];
  const listener = await FrameListener.listen(
    {
      maxBytes: 1000,
      frameTimeoutMs,
      log: (m) => log.push(m),
      ...(maxConnections === undefined ? {} : { maxConnections }),
    },
    (b) => {
      frames.push(Buffer.from(b));
      return b[0] === 0x47;
    },
  );
  cleanups.push(() => listener.close());
  return { listener, frames, log };
}

/** A connected socket from `localAddress`, and a promise of its close. */
async function peer(port: number, localAddress = '127.0.0.1'): Promise<{ sock: net.Socket; closed: Promise<void> }> {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress });
  sock.on('error', () => {});
  sock.resume();
  cleanups.push(() => sock.destroy());
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  return { sock, closed };
}

function framed(body: Buffer, announced = body.length): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(announced);
  return Buffer.concat([p, body]);
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FrameListener: peers that send no whole genuine frame are closed, by reason', () => {
  it('idle, trickling, half-sent, oversized and invalid senders are closed; a genuine one stays', async () => {
    const { listener, frames, log } = await listen(FRAME_TIMEOUT_MS);
    const port = listener.address.port;
    const genuine = await peer(port);
    const idle = await peer(port, '127.0.3.1');
    const trickle = await peer(port, '127.0.3.2');
    const half = await peer(port, '127.0.3.3');
    const oversized = await peer(port, '127.0.3.4');
    const invalid = await peer(port, '127.0.3.5');
    oversized.sock.write(framed(Buffer.alloc(0), 5_000_000));
    invalid.sock.write(framed(Buffer.from('junk')));
    half.sock.write(framed(Buffer.from('Ghalf of it'), 500));
    // The genuine peer sends a frame every 100 ms; the trickler a byte every 100 ms (never a whole 500-byte frame).
    const header = framed(Buffer.alloc(0), 500);
    let k = 0;
    const timer = setInterval(() => {
      genuine.sock.write(framed(Buffer.from(`G${k}`)));
      if (!trickle.sock.destroyed) trickle.sock.write(header.subarray(k % 4, (k % 4) + 1));
      k++;
    }, 100);
    cleanups.push(() => clearInterval(timer));
    await Promise.all([idle.closed, trickle.closed, half.closed, oversized.closed, invalid.closed]);
    const s = listener.stats();
    expect(s.closed).toEqual({ idle: 1, slow: 2, oversized: 1, invalid: 1, evicted: 0, refused: 0 } satisfies Record<
      CloseReason,
      number
    >);
    // The genuine peer outlived every deadline and is the one proven connection left.
    await until(() => k * 100 > 3 * FRAME_TIMEOUT_MS);
    expect(genuine.sock.destroyed).toBe(false);
    expect(listener.stats()).toMatchObject({ connections: 1, proven: 1 });
    expect(frames.filter((f) => f[0] === 0x47).length).toBeGreaterThanOrEqual(3);
    // The oversized line says what was announced (it used to say -1).
    expect(log.some((l) => l.includes('announced a 5000000-byte frame (limit 1000)'))).toBe(true);
    expect(log.some((l) => /sent \d+ bytes of a 504-byte frame in \d+ ms; closed \(slow\)/.test(l))).toBe(true);
  });

  it('when full, a newcomer evicts the unproven connection with the fewest bytes; proven ones stay; with all proven it is refused', async () => {
    // A deadline far off: here only the newcomers close anything.
    const { listener, frames } = await listen(60_000, 4);
    const port = listener.address.port;
    const proven = await peer(port);
    proven.sock.write(framed(Buffer.from('G0')));
    await until(() => listener.stats().proven === 1);
    const some = await peer(port, '127.0.4.1');
    some.sock.write(framed(Buffer.alloc(0), 50).subarray(0, 2)); // 2 bytes: more than the idle ones
    const idleOld = await peer(port, '127.0.4.2');
    const idleNew = await peer(port, '127.0.4.3');
    await until(() => listener.stats().connections === 4);
    await new Promise((r) => setTimeout(r, 20)); // let the 2 bytes arrive
    // Full: a genuine newcomer gets in by evicting the oldest of the connections with no bytes.
    const newcomer = await peer(port, '127.0.0.1');
    await idleOld.closed;
    newcomer.sock.write(framed(Buffer.from('G1')));
    await until(() => listener.stats().proven === 2);
    expect(idleNew.sock.destroyed).toBe(false);
    // The next newcomer evicts the other idle one, then the one with 2 bytes; the proven ones never.
    const second = await peer(port, '127.0.4.4');
    await idleNew.closed;
    second.sock.write(framed(Buffer.from('G2')));
    await until(() => listener.stats().proven === 3);
    const third = await peer(port, '127.0.4.5');
    await some.closed;
    third.sock.write(framed(Buffer.from('G3')));
    await until(() => listener.stats().proven === 4);
    // All four proven: a fifth is refused, and every proven one is still open.
    const fifth = await peer(port, '127.0.4.6');
    await fifth.closed;
    expect(listener.stats()).toMatchObject({ connections: 4, proven: 4, closed: { evicted: 3, refused: 1 } });
    for (const p of [proven, newcomer, second, third]) expect(p.sock.destroyed).toBe(false);
    expect(frames.map((f) => f.toString())).toEqual(['G0', 'G1', 'G2', 'G3']);
  });
});
