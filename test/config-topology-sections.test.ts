import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileConfig, decodePlan, encodePlan, validateConfig } from '../src/config/index.js';
import type { ConfigError } from '../src/errors.js';
import { resolveFrameKey } from '../src/config/frame-key.js';

/**
 * The sections the separate roles read — configInterval, frames, aggregator,
 * checker, dns.framesListen — with their defaults, their rules, their place
 * in the plan's bytes, and where the frame key comes from.
 */
const base = { cell: { name: 'topo', capacity: 16 } };
const KEY = 'ab'.repeat(32);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-topo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issues(doc: unknown): string[] {
  try {
    validateConfig(doc);
  } catch (err) {
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('topology sections', () => {
  it('default to a single node with no peers: 5 s config interval, 1 s tick, one vantage, no key', () => {
    const plan = compileConfig(base);
    expect(plan.configIntervalMs).toBe(5000);
    expect(plan.frames).toEqual({ key: null, keyFile: null, keyEnv: null });
    expect(plan.aggregator).toEqual({ listen: null, tickMs: 1000, vantages: 1, subscribers: [], warmupMs: 5000 });
    expect(plan.checker).toEqual({ aggregators: [] });
    expect(plan.dns.framesListen).toBeNull();
  });

  it('compile addresses, durations and the checkers\u2019 default target (aggregator.listen)', () => {
    const plan = compileConfig({
      ...base,
      configInterval: '750ms',
      aggregator: {
        listen: '[::1]:7000',
        tick: '250ms',
        vantages: 3,
        subscribers: ['127.0.0.1:7001', '127.0.0.2:7001'],
        warmup: 2,
      },
      dns: { framesListen: '127.0.0.1:7001' },
    });
    expect(plan.configIntervalMs).toBe(750);
    expect(plan.aggregator).toEqual({
      listen: { host: '::1', port: 7000 },
      tickMs: 250,
      vantages: 3,
      subscribers: [
        { host: '127.0.0.1', port: 7001 },
        { host: '127.0.0.2', port: 7001 },
      ],
      warmupMs: 2000,
    });
    expect(plan.checker.aggregators).toEqual([{ host: '::1', port: 7000 }]);
    expect(plan.dns.framesListen).toEqual({ host: '127.0.0.1', port: 7001 });
  });

  it('name every mistake by path, and never echo a key', () => {
    const found = issues({
      ...base,
      frames: { key: 'zz-not-hex-secret', keyFile: '/etc/urnd.key' },
      aggregator: { vantages: 65, subscribers: ['127.0.0.1:1', '127.0.0.1:1', 'localhost:2'], tick: '10ms' },
      checker: { aggregators: ['nowhere'] },
      dns: { listen: '127.0.0.1:65535', workers: 2 },
      configInterval: '10ms',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^frames\.key: not 16 to 64 bytes of hex/),
        'frames: give one of key, keyFile or keyEnv, not key and keyFile',
        'aggregator.vantages: 65 is above 64',
        'aggregator.subscribers[1]: "127.0.0.1:1" is already listed at subscribers[0]',
        expect.stringMatching(/^aggregator\.subscribers\[2\]: "localhost:2" is not an IP address and port/),
        'aggregator.tick: "10ms" is below 50ms',
        expect.stringMatching(/^checker\.aggregators\[0\]: "nowhere" is not an IP address and port/),
        'configInterval: "10ms" is below 100ms',
      ]),
    );
    expect(found.join('\n')).not.toContain('zz-not-hex-secret');
  });

  it('are part of the plan bytes: round-trip exactly, and each change gives another version', () => {
    const doc = {
      ...base,
      configInterval: 2,
      frames: { keyEnv: 'URND_KEY' },
      aggregator: { listen: '127.0.0.1:7000', subscribers: ['127.0.0.1:7001'], vantages: 2 },
      checker: { aggregators: ['127.0.0.1:7000', '127.0.0.2:7000'] },
      dns: { framesListen: '127.0.0.1:7001' },
    };
    const plan = compileConfig(doc);
    const back = decodePlan(encodePlan(plan));
    expect(back).toEqual(plan);
    expect(compileConfig(JSON.parse(JSON.stringify(doc))).version).toBe(plan.version);
    const edits: Record<string, unknown>[] = [
      { configInterval: 3 },
      { frames: { keyFile: '/k' } },
      { frames: { key: KEY } },
      { aggregator: { ...doc.aggregator, tick: 2 } },
      { aggregator: { ...doc.aggregator, vantages: 3 } },
      { aggregator: { ...doc.aggregator, subscribers: ['127.0.0.1:7002'] } },
      { aggregator: { ...doc.aggregator, warmup: 1 } },
      { checker: { aggregators: ['127.0.0.1:7000'] } },
      { dns: { framesListen: '127.0.0.1:7002' } },
    ];
    const versions = new Set([plan.version, ...edits.map((e) => compileConfig({ ...doc, ...e }).version)]);
    expect(versions.size).toBe(edits.length + 1);
    // The key's case is not a change of meaning.
    expect(compileConfig({ ...base, frames: { key: KEY.toUpperCase() } }).version).toBe(
      compileConfig({ ...base, frames: { key: KEY } }).version,
    );
  });
});

describe('the frame key', () => {
  it('comes from the document, a file or an environment variable, as hex', async () => {
    const file = path.join(dir, 'frames.key');
    writeFileSync(file, `  ${KEY.toUpperCase()}\n`);
    const want = Buffer.from(KEY, 'hex');
    expect(await resolveFrameKey({ key: KEY, keyFile: null, keyEnv: null })).toEqual(want);
    expect(await resolveFrameKey({ key: null, keyFile: file, keyEnv: null })).toEqual(want);
    expect(await resolveFrameKey({ key: null, keyFile: null, keyEnv: 'K' }, { K: KEY })).toEqual(want);
    expect(await resolveFrameKey({ key: null, keyFile: null, keyEnv: null })).toBeUndefined();
  });

  it('that cannot be read is a rejected pass, named by path, without the key', async () => {
    const bad = path.join(dir, 'short.key');
    writeFileSync(bad, 'abcdef-secret');
    await expect(
      resolveFrameKey({ key: null, keyFile: path.join(dir, 'missing'), keyEnv: null }),
    ).rejects.toMatchObject({ code: 'URND_ERR_CONFIG_READ', issues: [{ path: 'frames.keyFile' }] });
    await expect(resolveFrameKey({ key: null, keyFile: null, keyEnv: 'K' }, {})).rejects.toMatchObject({
      code: 'URND_ERR_CONFIG_READ',
      issues: [{ path: 'frames.keyEnv' }],
    });
    const err = await resolveFrameKey({ key: null, keyFile: bad, keyEnv: null }).catch(
      (e: unknown) => e as ConfigError,
    );
    expect(err).toMatchObject({ code: 'URND_ERR_CONFIG_INVALID', issues: [{ path: 'frames.keyFile' }] });
    expect((err as ConfigError).message).not.toContain('secret');
  });
});
