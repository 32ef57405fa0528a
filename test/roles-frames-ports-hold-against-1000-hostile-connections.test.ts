import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultMaxFrameBytes } from '../src/snapshot/frame.js';
import { HostilePeers, type HostileKind } from './support/hostile-peers.js';
import { RoleProcess, freePort, requireBuilt } from './support/roles.js';

/**
 * Issue 13: connections held open against a frames port must not cut a
 * process off from its genuine peers. Real processes on loopback: `urnd
 * aggregator` and `urnd dns`, each port held by 800 hostile connections
 * (idle, trickling, half a frame) from 800 loopback addresses, each opened
 * again 100 ms after it is closed. Only then does the genuine checker start
 * (`urnd checker`), so its first connection has to get in through the
 * attack; so does the aggregator's first connection to the DNS server.
 * Then 200 more per port send junk (whole frames of it, random bytes), for
 * 1,000 in all.
 *
 * Before the fix the listeners held 64 connections with no deadline: the
 * hostile ones kept all 64 and the genuine ones were turned away for good.
 * Now: the checker's vectors reach the aggregator and the aggregator's
 * status frames reach the DNS server, tick after tick, and both status
 * lines count the closed connections by reason.
 */
const TICK_MS = 500;
const HOSTILE = 1000;
const HOLDERS = 800;
/**
 * Once frames flow, the median status line shows a frame at most a tick old
 * and none shows one older than this: four ticks, for a busy shared machine
 * (the processes' own timers run late there, attack or not).
 */
const MAX_AGE_S = (4 * TICK_MS) / 1000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

let dir: string;
let config: string;
const procs: RoleProcess[] = [];
const hostile: HostilePeers[] = [];

function start(name: string, args: string[]): RoleProcess {
  const p = new RoleProcess(name, [...args, '--config', config]);
  procs.push(p);
  return p;
}

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-hostile-'));
  const agg = await freePort();
  const frames = await freePort();
  const dnsPort = await freePort();
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: hostile, capacity: 64 }',
      'configInterval: 1s',
      'aggregator:',
      `  listen: 127.0.0.1:${agg}`,
      `  tick: ${TICK_MS}ms`,
      '  vantages: 1',
      `  subscribers: [127.0.0.1:${frames}]`,
      '  warmup: 30s',
      `dns: { listen: 127.0.0.1:${dnsPort}, framesListen: 127.0.0.1:${frames} }`,
      'checks:',
      '  - { id: a, slot: 0, type: tcp, host: 127.0.8.9, port: 9, interval: 1s, timeout: 500ms }',
      'zones: [{ origin: hostile.test }]',
      'records:',
      '  - { name: www.hostile.test, type: A, policy: multivalue, answers: [{ value: 127.0.8.9, check: a }] }',
    ].join('\n'),
  );
}, 20_000);

afterAll(async () => {
  for (const h of hostile) h.stop();
  await Promise.all(procs.map((p) => p.stop()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** The counts after `connections closed N (` on the last matching line of `p`. */
function closedBy(p: RoleProcess, re: RegExp): Record<string, number> {
  const line = p.last(new RegExp(`${re.source} \\d+ \\([^)]*\\)`))?.[0] ?? '';
  const m = line.match(/connections closed \d+ \(([^)]*)\)/);
  const out: Record<string, number> = {};
  for (const part of m?.[1]?.split(', ') ?? []) {
    const [k, n] = part.split(' ');
    out[k as string] = Number(n);
  }
  return out;
}

describe('frames ports under 1,000 hostile connections each', () => {
  it("still take the genuine checker's vectors and the aggregator's frames every tick, and count what they closed", async () => {
    const aggregator = start('aggregator', ['aggregator']);
    const dns = start('dns', ['dns']);
    const aggPort = Number((await aggregator.waitForLine(/vectors on 127\.0\.0\.1:(\d+) \(tcp\)/, 15_000))[1]);
    const framesPort = Number((await dns.waitForLine(/status frames on 127\.0\.0\.1:(\d+) \(tcp\)/, 15_000))[1]);

    // The attack first: 800 connections per port that hold it (idle, trickling, half a frame),
    // each port full and evicting before any genuine peer connects.
    const started = Date.now();
    const attack = (port: number, count: number, kinds: readonly HostileKind[], maxBytes: number, firstB: number) =>
      hostile.push(new HostilePeers({ port, count, kinds, frameBytes: maxBytes - 8, maxConnects: 40_000, firstB }));
    const holders: HostileKind[] = ['idle', 'trickle', 'half'];
    attack(aggPort, HOLDERS, holders, defaultMaxFrameBytes(64, 'observations'), 1);
    attack(framesPort, HOLDERS, holders, defaultMaxFrameBytes(64, 'status'), 11);
    await aggregator.waitForLine(/vectors rejected .*connections closed \d+ \([^)]*evicted \d+/, 15_000);
    await dns.waitForLine(/frames: none yet, rejected .*connections closed \d+ \([^)]*evicted \d+/, 15_000);

    // Now the genuine checker; its vectors warm the aggregator, whose frames reach the DNS server.
    const checkerAt = Date.now();
    start('checker', ['checker', '--vantage', '0']);
    await aggregator.waitForLine(/vantages 0:0\.\ds \| .*status frames \d+ → 1\/1 connected/, 15_000);
    const m = await dns.waitForLine(/frames: last good \d+\.\d s ago/, 15_000);
    const firstFrameMs = Date.now() - checkerAt;

    // Then 200 more per port that send junk: whole frames of it, and random bytes (mostly an oversized length).
    attack(aggPort, HOSTILE - HOLDERS, ['junk', 'garbage'], defaultMaxFrameBytes(64, 'observations'), 5);
    attack(framesPort, HOSTILE - HOLDERS, ['junk', 'garbage'], defaultMaxFrameBytes(64, 'status'), 15);

    // From here on, for a few seconds of status lines: every one fresh on both sides.
    const from = { agg: aggregator.lines.length, dns: dns.lines.length };
    const statusLines = (p: RoleProcess, i: number) => p.lines.slice(i).filter((l) => l.startsWith('['));
    while (statusLines(dns, from.dns).length < 5) await dns.waitForLine(/^\[/, 5000, dns.lines.length);
    const dnsLines = statusLines(dns, from.dns);
    const dnsAges = dnsLines.map((l) => Number(l.match(/frames: last good ([\d.]+) s ago/)?.[1]));
    const dnsSeqs = dnsLines.map((l) => Number(l.match(/, seq (\d+),/)?.[1]));
    const vantageAges = statusLines(aggregator, from.agg).map((l) => Number(l.match(/vantages 0:([\d.]+)s/)?.[1]));
    if (process.env.URND_TEST_DEBUG)
      console.log([...aggregator.lines.slice(from.agg), '----', ...dns.lines.slice(from.dns)].join('\n'));
    expect(dnsAges.length).toBeGreaterThanOrEqual(5);
    expect(vantageAges.length).toBeGreaterThanOrEqual(3);
    // New frames every second, none held up for long: the genuine links stay up through the attack.
    for (let i = 1; i < dnsSeqs.length; i++)
      expect(dnsSeqs[i], dnsLines.join('\n')).toBeGreaterThan(dnsSeqs[i - 1] as number);
    expect(median(dnsAges)).toBeLessThanOrEqual(TICK_MS / 1000);
    expect(median(vantageAges)).toBeLessThanOrEqual(TICK_MS / 1000);
    expect(Math.max(...dnsAges, ...vantageAges)).toBeLessThanOrEqual(MAX_AGE_S);

    // The attack was on all along, and the ports closed it by reason.
    for (const h of hostile)
      expect(h.connects).toBeGreaterThan(h === hostile[0] || h === hostile[1] ? HOLDERS : HOSTILE - HOLDERS);
    // Each kind of hostile connection closed and counted under its reason, on both ports. An idle
    // holder is closed at its deadline (idle) or, when the port is full first, for a newcomer
    // (evicted): which comes first depends on how fast the attackers reconnect, so idle is not required.
    for (const [p, re] of [
      [aggregator, /vectors rejected .*connections closed/],
      [dns, /frames: last good .*connections closed/],
    ] as const) {
      for (const reason of ['slow', 'oversized', 'invalid', 'evicted']) {
        await p.waitForLine(new RegExp(`${re.source} \\d+ \\([^)]*${reason} [1-9]`), 15_000, p.lines.length - 1);
      }
    }
    const onAgg = closedBy(aggregator, /vectors rejected .*connections closed/);
    const onDns = closedBy(dns, /frames: last good .*connections closed/);
    // Nobody was refused: only the genuine connections are proven, so there was always one to evict.
    for (const by of [onAgg, onDns]) expect(by.refused ?? 0).toBe(0);
    // The oversized log line says what was announced.
    expect(dns.last(/announced a (\d+)-byte frame \(limit \d+\); closed \(oversized\)/)).not.toBeNull();
    for (const p of procs) expect(p.stderr).toBe('');
    console.log(
      `under ${HOSTILE} hostile connections per port (${hostile.map((h) => h.connects).join(' + ')} connects in ${((Date.now() - started) / 1000).toFixed(1)} s): ` +
        `first status frame at the DNS server ${firstFrameMs} ms after the checker started (${m[0]}); ` +
        `then DNS last-good ages ${dnsAges.join(' ')} s, vantage ages ${vantageAges.join(' ')} s (tick ${TICK_MS} ms); ` +
        `closed at the aggregator ${JSON.stringify(onAgg)}, at the DNS server ${JSON.stringify(onDns)}`,
    );
  }, 60_000);
});
