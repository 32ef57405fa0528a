import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigLoop } from '../src/config/index.js';
import type { UrndError } from '../src/errors.js';
import { freePort, RoleProcess, requireBuilt, writeAtomically } from './support/roles.js';

/**
 * A running node serves the records of its zone files, answered to `dig`;
 * a zone file that turns bad rejects the pass with the file and line, and
 * the node keeps answering from its last good zone until the file is good
 * again.
 */
const run = promisify(execFile);

async function dig(port: number, name: string, type: string): Promise<string[]> {
  const { stdout } = await run(
    'dig',
    ['@127.0.0.1', '-p', String(port), '+short', '+norec', '+time=1', '+tries=1', name, type],
    { timeout: 5000 },
  );
  return stdout.trim().split('\n').filter(Boolean).sort();
}

/** Polls dig every 100 ms until `want` holds (bounded), then returns the last answer. */
async function digUntil(port: number, name: string, type: string, want: string[], boundMs: number): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    const got = await dig(port, name, type);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() - t0 > boundMs) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const zoneText = (www: string) =>
  [
    '$ORIGIN shop.test.',
    '$TTL 30',
    '@ IN SOA ns1 hostmaster ( 2026120501 3600 600 86400 30 )',
    '  IN NS ns1',
    'ns1 IN A 127.0.0.53',
    `www IN A ${www}`,
    '    IN A 127.0.0.22',
    'v6  IN AAAA ::1',
    'api 5 A 127.0.0.31 ; from the file',
  ].join('\n');

const documentText = [
  'cell: { name: zonefile, capacity: 16 }',
  'zones: [{ origin: shop.test, file: zones/shop.zone }]',
  'records:',
  '  - { name: api.shop.test, type: A, policy: multivalue, answers: [{ value: 127.0.0.32 }] }',
].join('\n');

let dir: string;
let config: string;
let zone: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-zone-serve-'));
  mkdirSync(path.join(dir, 'zones'));
  config = path.join(dir, 'cell.yaml');
  zone = path.join(dir, 'zones', 'shop.zone');
  writeFileSync(config, documentText);
  writeFileSync(zone, zoneText('127.0.0.21'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the config loop', () => {
  it('rejects a pass whose zone file turned bad, keeps the last good plan, and applies the healed file', async () => {
    const rejected: UrndError[] = [];
    const logged: string[] = [];
    const loop = await ConfigLoop.start({
      role: 'test',
      source: config,
      intervalMs: 60_000, // passes are forced below
      log: (line) => logged.push(line),
      onReject: (e) => rejected.push(e),
    });
    try {
      const good = loop.plan.version;
      expect(loop.plan.setCount).toBe(4); // ns1, www, v6 from the file; api from the document
      writeAtomically(zone, zoneText('127.0.0.21').replace('v6  IN AAAA ::1', 'v6  IN AAAA ::1 ::2'));
      await loop.pass();
      expect(rejected.map((e) => e.code)).toEqual(['URND_ERR_CONFIG_PARSE']);
      expect(rejected[0]?.message).toBe(
        `config rejected: zones[0].file: ${zone}:8: AAAA has 1 RDATA fields; "::2" is one too many`,
      );
      expect(loop.plan.version).toBe(good);
      rmSync(zone);
      await loop.pass();
      expect(rejected[1]?.message).toBe(`config rejected: zones[0].file: cannot read ${zone}: no such file`);
      expect(loop.plan.version).toBe(good);
      writeAtomically(zone, zoneText('127.0.0.23'));
      await loop.pass();
      expect(loop.plan.version).not.toBe(good);
      expect(logged.filter((l) => l.includes('config rejected'))).toHaveLength(2);
    } finally {
      writeAtomically(zone, zoneText('127.0.0.21'));
      await loop.stop();
    }
  });
});

describe('urnd serve with a zone file', () => {
  let serve: RoleProcess;
  let port: number;
  beforeAll(async () => {
    requireBuilt();
    port = await freePort();
    serve = new RoleProcess('serve', [
      'serve',
      '-c',
      config,
      '--admin',
      'off',
      '--dns-listen',
      `127.0.0.1:${port}`,
      '--config-interval',
      '0.2',
    ]);
    await serve.waitForLine(/DNS on 127\.0\.0\.1:\d+/, 15_000);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it("answers dig from the file's records, the document's set replacing the file's, and the file's SOA and NS", async () => {
    expect(await dig(port, 'www.shop.test', 'A')).toEqual(['127.0.0.21', '127.0.0.22']);
    expect(await dig(port, 'v6.shop.test', 'AAAA')).toEqual(['::1']);
    expect(await dig(port, 'api.shop.test', 'A')).toEqual(['127.0.0.32']);
    expect(await dig(port, 'shop.test', 'NS')).toEqual(['ns1.shop.test.']);
    expect(await dig(port, 'shop.test', 'SOA')).toEqual([
      'ns1.shop.test. hostmaster.shop.test. 2026120501 3600 600 86400 30',
    ]);
  });

  it('a bad zone file: the pass is rejected naming file and line, and the last good zone keeps answering', async () => {
    const from = serve.lines.length;
    writeAtomically(zone, zoneText('127.0.0.24').replace('$TTL 30', '$TTL 30\n$INCLUDE more.zone'));
    const [line] = await serve.waitForLine(/config rejected.*/, 10_000, from);
    expect(line).toContain(`zones[0].file: ${zone}:3: $INCLUDE is not supported`);
    // Several more passes (0.2 s apart) on the bad file: still the last good answers.
    const t0 = Date.now();
    while (Date.now() - t0 < 1000) {
      expect(await dig(port, 'www.shop.test', 'A')).toEqual(['127.0.0.21', '127.0.0.22']);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(serve.child.exitCode).toBeNull();

    writeAtomically(zone, zoneText('127.0.0.24'));
    expect(await digUntil(port, 'www.shop.test', 'A', ['127.0.0.22', '127.0.0.24'], 10_000)).toEqual([
      '127.0.0.22',
      '127.0.0.24',
    ]);
  });
});
