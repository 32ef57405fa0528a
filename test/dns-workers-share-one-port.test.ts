import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addresses, frames, query, queryUdp, rcode, TcpClient } from './support/dns-client.js';
import { RoleProcess, freePort, requireBuilt } from './support/roles.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { FramePublisher } from '../src/snapshot/push.js';
import { StatusTable } from '../src/table/status-table.js';

/**
 * `urnd dns --workers 3` runs three DNS processes on one address: each
 * binds it with SO_REUSEPORT (Node ≥ 22.12), or the supervisor binds the
 * UDP and TCP sockets once and every process inherits them (older Node). Asked on that one port, over UDP and TCP, every query is answered
 * right; the processes' own counts on the status line show the kernel spread
 * the queries over all three; and when one is killed, the port keeps
 * answering and the process comes back on the same sockets.
 */
const A = '127.0.9.201';
const B = '127.0.9.202';
/** Queries sent at most, in bursts, before the spread must have reached every process. */
const MAX_QUERIES = 6000;
const BURST = 30;

let dir: string;
let port: number;
let dns: RoleProcess;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-shared-'));
  port = await freePort();
  const config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: shared, capacity: 64 }',
      `dns: { listen: 127.0.0.1:${port} }`,
      'checks:',
      `  - { id: a, slot: 0, type: tcp, host: ${A}, port: 9 }`,
      'zones: [{ origin: shared.test }]',
      'records:',
      // One frame of an untouched table arrives: check a is unknown, which answers as healthy.
      `  - { name: www.shared.test, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }, { value: ${B} }] }`,
    ].join('\n'),
  );
  dns = new RoleProcess('dns', [
    'dns',
    '--config',
    config,
    '--workers',
    '3',
    '--frames-listen',
    '127.0.0.1:0',
    '--duration',
    '60',
  ]);
  await dns.waitForLine(
    new RegExp(
      `^urnd dns: DNS on 127\\.0\\.0\\.1:${port} \\(udp\\+tcp, 3 processes sharing it(?: by SO_REUSEPORT)?; pids \\d+, \\d+, \\d+\\)$`,
    ),
    15_000,
  );
  // urnd dns answers SERVFAIL until its first status frame: send it one (pushed until applied; bounded).
  const framesAt = Number((await dns.waitForLine(/status frames on 127\.0\.0\.1:(\d+)/, 1000))[1]);
  const publisher = new FramePublisher([{ host: '127.0.0.1', port: framesAt }]);
  const frame = new SnapshotEncoder({ cell: 'shared', configVersion: 'test' }).encodeStatus(StatusTable.create(64));
  const push = setInterval(() => publisher.publish(frame), 200);
  publisher.publish(frame);
  try {
    await dns.waitForLine(/first status frame applied/, 10_000);
  } finally {
    clearInterval(push);
    publisher.close();
  }
  // The supervisor relays it to each process over IPC: wait (bounded) until a burst finds every one answering.
  for (let k = 0; k < 50; k++) {
    const replies = await Promise.all(Array.from({ length: BURST }, () => queryUdp(port, 'www.shared.test')));
    if (replies.every((r) => rcode(r) === 'NOERROR')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  await dns?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** One burst of UDP queries from fresh sockets; returns the answers that were not [A, B]. */
async function burst(): Promise<string[]> {
  const replies = await Promise.all(Array.from({ length: BURST }, () => queryUdp(port, 'www.shared.test')));
  return replies.map((r) => `${rcode(r)} ${addresses(r).sort().join(',')}`).filter((s) => s !== `NOERROR ${A},${B}`);
}

/**
 * Per-process "answered" counts from the first status line, printed from now
 * on, whose total reaches `atLeast` (each process reports once a second, so
 * a line can lag the queries by a second or two).
 */
async function answeredCounts(atLeast: number): Promise<number[]> {
  const t0 = Date.now();
  let from = dns.lines.length;
  for (;;) {
    const m = await dns.waitForLine(/3\/3 processes up.*, answered (\d+)\+(\d+)\+(\d+)/, 3000, from);
    const counts = [m[1], m[2], m[3]].map(Number);
    if (counts.reduce((a, b) => a + b, 0) >= atLeast || Date.now() - t0 > 5000) return counts;
    from = dns.lines.length;
  }
}

describe('urnd dns --workers 3', () => {
  it('answers every query on one port, and the kernel spreads them over all three processes', async () => {
    let sent = 0;
    let counts = [0, 0, 0];
    while (sent < MAX_QUERIES) {
      for (let k = 0; k < 10; k++) {
        expect(await burst()).toEqual([]);
        sent += BURST;
      }
      counts = await answeredCounts(sent);
      if (counts.every((c) => c > 0)) break;
    }
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(sent);
    console.log(`${sent} UDP queries on one port, answered per process: ${counts.join(', ')}`);
  });

  it('answers over TCP on the same port', async () => {
    for (let c = 0; c < 6; c++) {
      const client = await TcpClient.connect(port);
      client.write(frames(query('www.shared.test', 'A', 1), query('nope.shared.test', 'A', 2)));
      const replies = await client.replyCount(2);
      expect(replies.map((r) => rcode(r))).toEqual(['NOERROR', 'NXDOMAIN']);
      expect(addresses(replies[0] as (typeof replies)[number]).sort()).toEqual([A, B]);
      client.socket.destroy();
    }
  });

  it('keeps answering on the port while a killed process is started again on the same sockets', async () => {
    const pids = dns.last(/; pids (\d+), (\d+), (\d+)\)$/);
    expect(pids).not.toBeNull();
    const from = dns.lines.length;
    process.kill(Number(pids?.[2]), 'SIGKILL');
    // Once it is gone (with SO_REUSEPORT, the queries queued on a dying
    // process's own socket go with it; the kernel then hashes over the rest),
    // the two left answer everything meanwhile.
    await dns.waitForLine(/DNS process 1 on .*; starting it again in \d+ ms/, 5000, from);
    for (let k = 0; k < 5; k++) expect(await burst()).toEqual([]);
    await dns.waitForLine(/DNS process 1 answering again on 127\.0\.0\.1:\d+ \(pid \d+\)/, 8000, from);
    await dns.waitForLine(/3\/3 processes up, restarts 1/, 3000, from);
    for (let k = 0; k < 5; k++) expect(await burst()).toEqual([]);
    expect(dns.stderr).toBe('');
  });
});
