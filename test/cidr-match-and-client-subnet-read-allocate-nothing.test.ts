import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `CidrTable.match` and `readClientSubnet` run once per query, so they
 * allocate nothing: a million calls each (IPv4 and IPv6, 1 and 10,000
 * collections), in a separate process with an exposed GC and a new space
 * large enough that no scavenge hides garbage. The allocating `matchText`
 * is measured the same way and must show bytes, so the method is known to
 * see allocation.
 */
const script = fileURLToPath(new URL('../dist/bench/cidr-alloc.js', import.meta.url));

describe('CIDR match and ECS read allocate nothing per call', () => {
  it('< 0.01 bytes per call for each; the allocating control shows > 16', () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
    const stdout = execFileSync(
      process.execPath,
      ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', script, '1000000'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as {
      rows: { what: string; bytesPerCall: number }[];
      control: { bytesPerCall: number };
    };
    expect(result.rows.map((r) => r.what)).toEqual([
      'match IPv4, 1 collections',
      'match IPv4, 10000 collections',
      'match IPv6, 1 collections',
      'match IPv6, 10000 collections',
      'readClientSubnet',
    ]);
    for (const row of result.rows)
      expect({ what: row.what, ok: Number.isFinite(row.bytesPerCall) && row.bytesPerCall < 0.01 }).toEqual({
        what: row.what,
        ok: true,
      });
    expect(result.control.bytesPerCall).toBeGreaterThan(16);
  });
});
