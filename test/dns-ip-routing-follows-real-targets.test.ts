import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Targets, waitFor } from './support/targets.js';

/**
 * `urnd serve` as a real process, its YAML config holding a CIDR collection
 * and an IP-based set whose answers are real loopback HTTP targets: dig
 * with +subnet sees its location's target, then the default when that
 * target goes down, then the location's again ("as if healthy") when the
 * default is down too, and its own when it comes back.
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const EU = '127.0.8.1';
const US = '127.0.8.2';
const DEFAULT = '127.0.8.9';
const HOSTS = [EU, US, DEFAULT];
const BOUND_MS = 2 * 1000 + 1000 + 200 + 1500;
const run = promisify(execFile);

let targets: Targets;
let dir: string;
let child: ChildProcess;
let lines: string[] = [];
let port: number;

async function freePort(): Promise<number> {
  for (let i = 0; i < 10; i++) {
    const udp = dgram.createSocket('udp4');
    const p = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(p, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => (ok ? tcp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (ok) return p;
  }
  throw new Error('no free port');
}

async function dig(subnet: string): Promise<{ answers: string[]; subnet: string | null }> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=1',
    '+tries=2',
    `+subnet=${subnet}`,
    'www.ip.test',
    'A',
  ]);
  return {
    answers: [...stdout.matchAll(/^\S+\s+\d+\s+IN\s+A\s+(\S+)$/gm)].map((m) => m[1] as string),
    subnet: /CLIENT-SUBNET: (\S+)/.exec(stdout)?.[1] ?? null,
  };
}

async function until(subnet: string, want: string, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const got = (await dig(subnet)).answers.join();
    if (got === want) return Date.now() - t0;
    if (Date.now() - t0 > BOUND_MS) throw new Error(`${what}: still ${got} after ${BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  targets = await Targets.start(HOSTS);
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-ip-e2e-'));
  const config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: ipe2e, capacity: 16 }',
      'checks:',
      ...HOSTS.map(
        (h, i) =>
          `  - { id: t${i}, slot: ${i}, type: http, host: ${h}, port: ${targets.port}, interval: 1s, timeout: 500ms, failureThreshold: 2 }`,
      ),
      'zones: [{ origin: ip.test, ttl: 5 }]',
      'cidrCollections:',
      '  - name: clients',
      '    locations:',
      '      - { name: eu, cidrs: [192.0.2.0/24, 2001:db8::/32] }',
      '      - { name: us, cidrs: [198.51.100.0/24] }',
      'records:',
      '  - name: www.ip.test',
      '    type: A',
      '    policy: ip',
      '    cidrCollection: clients',
      '    answers:',
      `      - { value: ${EU}, location: eu, check: t0 }`,
      `      - { value: ${US}, location: us, check: t1 }`,
      `      - { value: ${DEFAULT}, location: "*", check: t2 }`,
    ].join('\n'),
  );
  port = await freePort();
  child = spawn(
    process.execPath,
    [
      cli,
      'serve',
      '--admin',
      'off',
      '--config',
      config,
      '--tick-ms',
      '200',
      '--checkers',
      '1',
      '--dns-listen',
      `127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => lines.push(...chunk.split('\n')));
  await waitFor(
    () => lines.some((l) => /healthy 3 {2}unhealthy 0/.test(l)) || child.exitCode !== null,
    15_000,
    'all 3 healthy',
  );
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  await targets?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  lines = [];
});

describe('an ip set follows real targets', () => {
  it('each location its target, the rest the default; ECS echoed with scope', async () => {
    expect(await dig('192.0.2.0/24')).toEqual({ answers: [EU], subnet: '192.0.2.0/24/24' });
    expect(await dig('2001:db8:7::/48')).toEqual({ answers: [EU], subnet: '2001:db8:7::/48/32' });
    expect((await dig('198.51.100.0/24')).answers).toEqual([US]);
    expect((await dig('203.0.113.0/24')).answers).toEqual([DEFAULT]);
  });

  it('eu down → the default; the default down too → eu as if healthy; the default back → it; eu back → eu', async () => {
    await targets.down(EU);
    console.log(
      `eu target down: default answered after ${await until('192.0.2.0/24', DEFAULT, 'fallback to the default')} ms`,
    );
    expect((await dig('198.51.100.0/24')).answers).toEqual([US]);
    await targets.down(DEFAULT);
    await until('192.0.2.0/24', EU, 'both down: the match as if healthy');
    await targets.up(DEFAULT);
    await until('192.0.2.0/24', DEFAULT, 'the default back, eu still down: the default');
    await targets.up(EU);
    await until('192.0.2.0/24', EU, 'eu back');
  });
});
