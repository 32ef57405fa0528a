import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The hot path allocates nothing per call: windows of 200,000 and 400,000
 * `resolveInto` calls per policy at 0%, 50% and 100% unhealthy, in a
 * separate process with an exposed GC; a window a scavenge ran in reads as
 * Infinity (null here) and fails, so no scavenge hides garbage.
 * The allocating `resolve()` is measured the same way and must show bytes,
 * so the method is known to see allocation.
 */
const script = fileURLToPath(new URL('../dist/bench/resolve-alloc.js', import.meta.url));

describe('resolveInto allocates nothing per call', () => {
  it('< 0.01 bytes per call for every policy and health state; the allocating control shows > 16', () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
    const stdout = execFileSync(
      process.execPath,
      ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', script, '200000'],
      { encoding: 'utf8', timeout: 55_000 },
    );
    const result = JSON.parse(stdout) as {
      rows: { policy: string; unhealthyPercent: number; bytesPerCall: number }[];
      control: { bytesPerCall: number };
    };
    // Five policies (ip: a client in a location) and the alias tree (failover → weighted), each at three health states.
    expect(result.rows.length).toBe(18);
    for (const row of result.rows) {
      expect({
        policy: row.policy,
        pct: row.unhealthyPercent,
        ok: Number.isFinite(row.bytesPerCall) && row.bytesPerCall < 0.01,
      }).toEqual({
        policy: row.policy,
        pct: row.unhealthyPercent,
        ok: true,
      });
    }
    expect(result.control.bytesPerCall).toBeGreaterThan(16);
  }, 60_000);
});
