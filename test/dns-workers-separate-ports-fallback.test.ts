import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DnsProcessSet } from '../src/serving/dns-processes.js';
import { addresses, queryUdp, rcode } from './support/dns-client.js';
import { freePort, requireBuilt } from './support/roles.js';

/**
 * Where Node lacks the socket handles one shared port needs, DNS processes
 * fall back to one port each: process i on dns.listen's port + i. The
 * fallback is forced here (`separatePorts`), since Node 20 has the handles.
 */
let dir: string;
let config: string;
let base: number;
const lines: string[] = [];

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-separate-'));
  base = await freePort('127.0.0.1', 2);
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: separate, capacity: 16 }',
      'zones: [{ origin: separate.test }]',
      'records:',
      '  - { name: www.separate.test, type: A, answers: [{ value: 127.0.9.210 }] }',
    ].join('\n'),
  );
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('DNS processes with one port each (the fallback)', () => {
  it('answer on consecutive ports and say so', async () => {
    const set = await DnsProcessSet.start({
      count: 2,
      configSource: config,
      listen: { host: '127.0.0.1', port: base },
      separatePorts: true,
      log: (l) => lines.push(l),
    });
    try {
      expect(set.sharedPort).toBe(false);
      expect(set.addresses).toEqual([
        { host: '127.0.0.1', port: base },
        { host: '127.0.0.1', port: base + 1 },
      ]);
      expect(set.describe()).toMatch(
        new RegExp(
          `^127\\.0\\.0\\.1:${base}-${base + 1} \\(udp\\+tcp, 2 processes, one port each; pids \\d+, \\d+\\)$`,
        ),
      );
      for (const p of [base, base + 1]) {
        const reply = await queryUdp(p, 'www.separate.test');
        expect([rcode(reply), addresses(reply)]).toEqual(['NOERROR', ['127.0.9.210']]);
      }
    } finally {
      await set.stop();
    }
  });
});
