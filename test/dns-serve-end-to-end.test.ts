import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { promises as dnsPromises } from 'node:dns';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addresses, frames, query, queryUdp, rcode, TcpClient } from './support/dns-client.js';
import { Targets, waitFor } from './support/targets.js';

/**
 * `urnd serve` as a real process, answering DNS on --dns-listen, with real
 * loopback HTTP targets behind its checks: what dig or any stub resolver
 * sees follows the targets going down and coming back, within a stated
 * bound; with every target down an answer-all set answers every address and
 * an answer-none set an empty NOERROR; SIGTERM stops it with exit code 0.
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const HOSTS = ['127.0.7.1', '127.0.7.2', '127.0.7.3', '127.0.7.4'];
const INTERVAL_MS = 1000;
const THRESHOLD = 2;
const TICK_MS = 200;
// From a target's change to the DNS answer: failureThreshold probes one
// interval apart, plus up to one interval until the first of them (the
// check's phase), plus one aggregator tick; plus 1000 ms for a loaded
// 2-core machine and the test's 100 ms polling.
const MARGIN_MS = 1000;
const BOUND_MS = THRESHOLD * INTERVAL_MS + INTERVAL_MS + TICK_MS + MARGIN_MS;

let targets: Targets;
let dir: string;
let config: string;
let serve: Served;
let lines: string[] = [];
let dnsPort: number;
let resolver: dnsPromises.Resolver;

/** A port free on 127.0.0.1 for both UDP and TCP (checked, then released). */
async function freeDnsPort(): Promise<number> {
  for (let i = 0; i < 10; i++) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => (ok ? tcp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (ok) return port;
  }
  throw new Error('no free port');
}

interface Served {
  child: ChildProcess;
  exited: Promise<number | null>;
  lines: string[];
  stderr: () => string;
}

function runServe(args: string[]): Served {
  const out: string[] = [];
  let err = '';
  const c = spawn(process.execPath, [cli, 'serve', '--admin', 'off', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  c.stdout?.setEncoding('utf8');
  c.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  c.stderr?.setEncoding('utf8');
  c.stderr?.on('data', (s: string) => (err += s));
  const done = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  return { child: c, exited: done, lines: out, stderr: () => err };
}

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  targets = await Targets.start(HOSTS);
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-dns-e2e-'));
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: dnse2e, capacity: 32 }',
      'checks:',
      ...HOSTS.map(
        (h, i) =>
          `  - { id: t${i}, slot: ${i}, type: http, host: ${h}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: ${THRESHOLD} }`,
      ),
      'zones: [{ origin: e2e.test, ttl: 5 }]',
      'records:',
      '  - name: pool.e2e.test',
      '    type: A',
      '    policy: multivalue',
      '    whenAllUnhealthy: answer-all',
      '    answers:',
      ...HOSTS.map((h, i) => `      - { value: ${h}, check: t${i} }`),
      '  - name: strict.e2e.test',
      '    type: A',
      '    policy: multivalue',
      '    whenAllUnhealthy: answer-none',
      '    answers:',
      `      - { value: ${HOSTS[2]}, check: t2 }`,
      `      - { value: ${HOSTS[3]}, check: t3 }`,
    ].join('\n'),
  );
  dnsPort = await freeDnsPort();
  serve = runServe([
    '--config',
    config,
    '--tick-ms',
    String(TICK_MS),
    '--checkers',
    '1',
    '--dns-listen',
    `127.0.0.1:${dnsPort}`,
  ]);
  lines = serve.lines;
  await waitFor(
    () => lines.includes(`urnd serve: DNS on 127.0.0.1:${dnsPort} (udp+tcp)`) || serve.child.exitCode !== null,
    10_000,
    'the DNS start line',
  );
  expect(serve.stderr()).toBe('');
  expect(lines).toContain(`urnd serve: DNS on 127.0.0.1:${dnsPort} (udp+tcp)`);
  resolver = new dnsPromises.Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
});

afterAll(async () => {
  if (serve !== undefined && serve.child.exitCode === null) serve.child.kill('SIGKILL');
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const pool = async () => (await resolver.resolve4('pool.e2e.test')).sort();
const strict = async () => addresses(await queryUdp(dnsPort, 'strict.e2e.test'));

/** Polls `get` every 100 ms until `want` holds; returns the ms it took, or throws after `bound` ms with the last value. */
async function until<T>(get: () => Promise<T>, want: (v: T) => boolean, bound: number, what: string): Promise<number> {
  const t0 = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await get();
    if (want(last)) return Date.now() - t0;
    if (Date.now() - t0 > bound) throw new Error(`${what}: still ${JSON.stringify(last)} after ${bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('urnd serve answers DNS that follows real targets', () => {
  it('all up: every target answered, over UDP and TCP; the status line counts DNS queries', async () => {
    await waitFor(
      () => lines.some((l) => /healthy 4 {2}unhealthy 0 {2}unknown 0/.test(l)),
      10_000,
      'all 4 healthy in a status line',
    );
    expect(await pool()).toEqual(HOSTS);
    expect(await strict()).toEqual([HOSTS[2], HOSTS[3]]);
    const tcp = await TcpClient.connect(dnsPort);
    tcp.write(frames(query('pool.e2e.test', 'A', 42)));
    const [reply] = await tcp.replyCount(1);
    tcp.destroy();
    expect(reply?.id).toBe(42);
    expect(addresses(reply as NonNullable<typeof reply>)).toEqual(HOSTS);
    await waitFor(() => lines.some((l) => /\| dns [1-9]\d* q\/s/.test(l)), 5000, 'a status line with dns q/s above 0');
  });

  it(`two down: excluded within ${BOUND_MS} ms (${THRESHOLD} × ${INTERVAL_MS} + ${INTERVAL_MS} + tick ${TICK_MS} + margin ${MARGIN_MS})`, async () => {
    await targets.down(HOSTS[1] as string);
    await targets.down(HOSTS[3] as string);
    const ms = await until(
      pool,
      (a) => a.join() === [HOSTS[0], HOSTS[2]].join(),
      BOUND_MS,
      'pool without the two down',
    );
    console.log(`two targets down: excluded from DNS answers after ${ms} ms (bound ${BOUND_MS} ms)`);
    expect(await strict()).toEqual([HOSTS[2]]);
  });

  it('all down: answer-all answers every address, answer-none an empty NOERROR', async () => {
    await targets.down(HOSTS[0] as string);
    await targets.down(HOSTS[2] as string);
    const t0 = Date.now();
    await until(strict, (a) => a.length === 0, BOUND_MS, 'answer-none set empty');
    // The pool went from [t0, t2] through [t0] to all four once t0 was unhealthy too.
    await until(pool, (a) => a.length === HOSTS.length, BOUND_MS, 'answer-all set answering every address');
    console.log(
      `all targets down: answer-none empty and answer-all answering all after ${Date.now() - t0} ms (bound ${BOUND_MS} ms)`,
    );
    expect(Date.now() - t0).toBeLessThanOrEqual(BOUND_MS);
    const reply = await queryUdp(dnsPort, 'strict.e2e.test');
    expect(rcode(reply)).toBe('NOERROR');
    expect(reply.answers).toEqual([]);
    expect(await pool()).toEqual(HOSTS);
  });

  it('back up: included again within the bound', async () => {
    for (const h of HOSTS) await targets.up(h);
    // answer-none set: empty until its targets are healthy again.
    const ms = await until(strict, (a) => a.length === 2, BOUND_MS, 'strict back');
    console.log(`targets back: answered again after ${ms} ms (bound ${BOUND_MS} ms)`);
    // And the answer-all pool ends with all four again, now because all are healthy.
    await waitFor(() => lines.slice(-3).some((l) => /healthy 4 {2}unhealthy 0/.test(l)), BOUND_MS, 'all healthy again');
    expect(await pool()).toEqual(HOSTS);
  });

  it('SIGTERM: exit code 0, clean stop', async () => {
    serve.child.kill('SIGTERM');
    const code = await Promise.race([
      serve.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    expect(code).toBe(0);
    expect(serve.stderr()).toBe('');
    expect(lines).toContain('urnd serve: SIGTERM, shutting down');
    expect(lines[lines.length - 1]).toBe('urnd serve: stopped');
  });

  it('an address in use: exit code 1, the error names it', async () => {
    const squat = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) =>
      squat.bind(0, '127.0.0.1', () => resolve(squat.address().port)),
    );
    try {
      const run = runServe(['--config', config, '--dns-listen', `127.0.0.1:${port}`]);
      const code = await Promise.race([
        run.exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
      if (code === 'timeout') run.child.kill('SIGKILL');
      expect(code).toBe(1);
      expect(run.stderr()).toContain(`dns listen 127.0.0.1:${port}: address already in use (udp)`);
      expect(run.stderr()).toContain('URND_ERR_DNS_LISTEN');
    } finally {
      squat.close();
    }
  });
});
