import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The hot path allocates nothing per call: a million `resolveInto` calls per
 * policy at 0%, 50% and 100% unhealthy, in a separate process with an
 * exposed GC and a new space large enough that no scavenge hides garbage.
 * The allocating `resolve()` is measured the same way and must show bytes,
 * so the method is known to see allocation.
 */
const script = fileURLToPath(new URL('../dist/bench/resolve-alloc.js', import.meta.url));

describe('resolveInto allocates nothing per call', () => {
  it('< 0.01 bytes per call for every policy and health state; the allocating control shows > 16', () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
    const stdout = execFileSync(
      process.execPath,
      ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256', script, '500000'],
      { encoding: 'utf8', timeout: 110_000 },
    );
    const result = JSON.parse(stdout) as {
      rows: { policy: string; unhealthyPercent: number; bytesPerCall: number }[];
      control: { bytesPerCall: number };
    };
    // Five policies (ip: a client in a location) and the alias tree (failover → weighted), each at three health states.
    expect(result.rows.length).toBe(18);
    for (const row of result.rows) {
      expect({ policy: row.policy, pct: row.unhealthyPercent, ok: row.bytesPerCall < 0.01 }).toEqual({
        policy: row.policy,
        pct: row.unhealthyPercent,
        ok: true,
      });
    }
    expect(result.control.bytesPerCall).toBeGreaterThan(16);
    // 18 cases × 3 windows, each opened by two full GCs of a 256 MiB new space: tens of seconds on a shared machine.
  }, 120_000);
});
