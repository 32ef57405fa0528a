import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DnsProcessSet } from '../src/serving/dns-processes.js';
import { reusePortAvailable } from '../src/serving/reuse-port.js';
import { addresses, queryUdp, rcode } from './support/dns-client.js';
import { requireBuilt } from './support/roles.js';

/**
 * On Node ≥ 22.12 (Linux) each DNS process opens its own UDP and TCP
 * sockets on the one address with SO_REUSEPORT: process 0 binds first (port
 * 0 becomes one port), the other binds the same port, and the kernel spreads
 * queries from different senders over both. On older Node this case is
 * skipped (it says so below), and the inherited sockets are the default.
 */
const hasReusePort = reusePortAvailable();
let dir: string;
let config: string;

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-reuseport-'));
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    [
      'cell: { name: reuseport, capacity: 16 }',
      'zones: [{ origin: reuse.test }]',
      'records:',
      '  - { name: www.reuse.test, type: A, answers: [{ value: 127.0.9.220 }] }',
    ].join('\n'),
  );
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('DNS processes sharing one port', () => {
  it('default to SO_REUSEPORT where this Node has it, else to inherited sockets', () => {
    expect(reusePortAvailable('20.20.2', 'linux')).toBe(false);
    expect(reusePortAvailable('22.11.0', 'linux')).toBe(false);
    expect(reusePortAvailable('22.12.0', 'linux')).toBe(true);
    expect(reusePortAvailable('24.1.0', 'linux')).toBe(true);
    expect(reusePortAvailable('24.1.0', 'darwin')).toBe(false);
  });

  it.skipIf(!hasReusePort)(
    `each bind their own sockets with SO_REUSEPORT, and both answer (needs Node ≥ 22.12 on Linux; this is ${process.version} on ${process.platform})`,
    async () => {
      const set = await DnsProcessSet.start({
        count: 2,
        configSource: config,
        listen: { host: '127.0.0.1', port: 0 },
        sharing: 'reuse-port',
        log: () => {},
      });
      try {
        expect(set.sharing).toBe('reuse-port');
        const [a, b] = set.addresses;
        expect(a?.port).toBeGreaterThan(0);
        expect(b).toEqual(a);
        expect(set.describe()).toMatch(/\(udp\+tcp, 2 processes sharing it by SO_REUSEPORT; pids \d+, \d+\)$/);
        const port = a?.port as number;
        // Fresh sockets (new source ports) until both processes report answers; bounded in count and time.
        const t0 = Date.now();
        let sent = 0;
        while (sent < 40_000 && Date.now() - t0 < 8000) {
          const replies = await Promise.all(Array.from({ length: 20 }, () => queryUdp(port, 'www.reuse.test')));
          sent += replies.length;
          for (const r of replies) expect([rcode(r), addresses(r)]).toEqual(['NOERROR', ['127.0.9.220']]);
          const answered = set.sample().answered;
          if (answered.every((n) => n > 0)) break;
        }
        expect(set.sample().answered.map((n) => n > 0)).toEqual([true, true]);
      } finally {
        await set.stop();
      }
    },
  );
});
