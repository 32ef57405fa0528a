import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { FramePublisher } from '../src/snapshot/push.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { RoleProcess, freePort, requireBuilt, resolve4, waitForAnswers } from './support/roles.js';

/**
 * Bad frames straight into a DNS process's frames port: the test is the
 * aggregator (a keyed SnapshotEncoder and FramePublisher pushing every
 * 200 ms), and also the attacker / the broken network, writing raw
 * length-prefixed bytes on a second connection. The DNS process runs
 * `--workers 2`: two DNS processes on two ports, fed by it.
 *
 * Every bad frame is rejected and counted by reason on the status line;
 * none touches the table (each would have changed the answers); DNS keeps
 * answering; the good frames keep being applied (seq goes on), and a DNS
 * process killed meanwhile comes back answering from the last good table.
 */
const KEY = Buffer.from('c3'.repeat(32), 'hex');
const WRONG_KEY = Buffer.from('3c'.repeat(32), 'hex');
const A = '127.0.8.5';
const B = '127.0.8.6';
const CELL = 'frames';

let dir: string;
let dns: RoleProcess;
let framesPort: number;
let dnsPorts: number[];
let publisher: FramePublisher;
let pushTimer: NodeJS.Timeout;
const table = StatusTable.create(64);
const encoder = new SnapshotEncoder({ cell: CELL, configVersion: 'test', key: KEY });

/** A good, keyed frame of the table as it is now. */
const goodFrame = () => encoder.encodeStatus(table);

/** A frame that would make B healthy and A unhealthy, were it applied. */
function flippedFrame(enc: SnapshotEncoder): Buffer {
  const t = StatusTable.create(64);
  t.set(0, Status.UNHEALTHY);
  t.set(1, Status.HEALTHY);
  return enc.encodeStatus(t);
}

/** Writes raw [u32 length][bytes] messages on one connection, then closes it (optionally mid-frame). */
async function inject(messages: { bytes: Buffer; length?: number }[]): Promise<void> {
  const sock = net.connect({ host: '127.0.0.1', port: framesPort });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  for (const m of messages) {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(m.length ?? m.bytes.length);
    sock.write(Buffer.concat([prefix, m.bytes]));
  }
  await new Promise<void>((resolve) => sock.end(resolve));
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-frames-'));
  framesPort = await freePort();
  const first = await freePort();
  // Two DNS processes share one port: every poll asks it several times, from fresh sockets.
  dnsPorts = Array.from({ length: 6 }, () => first);
  const config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      `cell: { name: ${CELL}, capacity: 64 }`,
      'configInterval: 1s',
      'frames: { keyEnv: URND_TEST_FRAMES_KEY }',
      'aggregator: { tick: 200ms }',
      `dns: { listen: 127.0.0.1:${first}, framesListen: 127.0.0.1:${framesPort}, workers: 2 }`,
      'checks:',
      `  - { id: a, slot: 0, type: tcp, host: ${A}, port: 9 }`,
      `  - { id: b, slot: 1, type: tcp, host: ${B}, port: 9 }`,
      'zones: [{ origin: frames.test }]',
      'records:',
      `  - { name: www.frames.test, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }, { value: ${B}, check: b }] }`,
    ].join('\n'),
  );
  dns = new RoleProcess('dns', ['dns', '--config', config], { URND_TEST_FRAMES_KEY: KEY.toString('hex') });
  await dns.waitForLine(/^urnd dns: DNS on .* \(udp\+tcp, 2 processes sharing it/, 15_000);
  table.set(0, Status.HEALTHY);
  table.set(1, Status.UNHEALTHY);
  publisher = new FramePublisher([{ host: '127.0.0.1', port: framesPort }]);
  pushTimer = setInterval(() => publisher.publish(goodFrame()), 200);
});

afterAll(async () => {
  clearInterval(pushTimer);
  publisher?.close();
  await dns?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('bad frames on the wire', () => {
  it('are rejected and counted by reason, change nothing, and the next good frame goes on', async () => {
    await waitForAnswers(dnsPorts, 'www.frames.test', [A], 5000);
    const replay = goodFrame(); // a real frame, soon older than the applied one
    await new Promise((r) => setTimeout(r, 500));

    const corrupt = flippedFrame(encoder);
    corrupt[corrupt.length - 40] = (corrupt[corrupt.length - 40] as number) ^ 0x01; // a payload bit: HMAC mismatch
    const badMagic = flippedFrame(encoder);
    badMagic[0] = 0x00; // not "URSF"
    const whole = flippedFrame(encoder);
    const truncated = whole.subarray(0, whole.length - 10); // the header promises more
    const wrongKey = flippedFrame(new SnapshotEncoder({ cell: CELL, configVersion: 'test', key: WRONG_KEY }));
    const otherCell = new SnapshotEncoder({ cell: 'another', configVersion: 'test', key: KEY }).encodeStatus(table);
    const cut = flippedFrame(encoder);
    // Each on its own connection: the listener closes a connection after a frame that is not genuine.
    for (const bytes of [corrupt, badMagic, truncated, wrongKey, replay, otherCell]) await inject([{ bytes }]);
    // A connection that ends part-way through a frame: the listener drops it whole.
    await inject([{ bytes: cut.subarray(0, 100), length: cut.length }]);

    const line = await dns.waitForLine(
      /rejected 6 \((.*)\), cut mid-frame 1, connections closed (\d+) \(([^)]*)\)/,
      5000,
    );
    expect(line[1]).toBe('truncated 1, auth 2, cell 1, malformed 1, stale 1');
    // The four that no key holder sent closed their connections; the stale and other-cell ones are genuine.
    expect(line[3]).toBe('invalid 4');
    // Still answering, from the good table.
    expect(await Promise.all(dnsPorts.map((p) => resolve4(p, 'www.frames.test')))).toEqual(dnsPorts.map(() => [A]));
    // The good stream went on through it: fresh frames, sequence moving.
    const seqBefore = Number(dns.last(/seq (\d+)/)?.[1]);
    await dns.waitForLine(
      new RegExp(`frames: last good 0\\.\\d s ago, seq (?!${seqBefore}\\b)\\d+, lag 0, rejected 6`),
      3000,
      dns.lines.length,
    );

    // A real change still gets through at the next tick.
    table.set(1, Status.HEALTHY);
    const healMs = await waitForAnswers(dnsPorts, 'www.frames.test', [A, B], 2000);
    table.set(1, Status.UNHEALTHY);
    await waitForAnswers(dnsPorts, 'www.frames.test', [A], 2000);

    // A DNS process that dies comes back answering from the last good table, not an empty one.
    const pids = dns.last(/; pids (\d+), (\d+)\)$/);
    expect(pids).not.toBeNull();
    process.kill(Number(pids?.[2]), 'SIGKILL');
    await dns.waitForLine(/DNS process 1 answering again on .* \(pid \d+\)/, 8000);
    // The new process got the last good frame before it started reading the
    // shared sockets: every answer on the port excludes B, whichever process gives it.
    expect(await Promise.all(dnsPorts.map((p) => resolve4(p, 'www.frames.test')))).toEqual(dnsPorts.map(() => [A]));
    await dns.waitForLine(/2\/2 processes up, restarts 1/, 3000, dns.lines.length);
    expect(dns.stderr).toBe('');
    console.log(`bad frames rejected: ${line[0]}; a good change reached both DNS processes in ${healMs} ms`);
  });
});
