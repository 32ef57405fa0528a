import { describe, expect, it } from 'vitest';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { assignPhases, nextProbeIndex, partitionChecks, probeTime } from '../src/check/schedule.js';

function spec(slot: number, intervalMs: number): ProbeCheckSpec {
  return {
    kind: 'probe',
    id: `c${slot}`,
    slot,
    type: 'tcp',
    host: '127.0.0.1',
    port: 9,
    path: '/',
    statusMin: 200,
    statusMax: 399,
    bodyMatch: null,
    verifyTls: false,
    intervalMs,
    timeoutMs: intervalMs / 2,
    failureThreshold: 3,
    inverted: false,
    disabled: false,
  };
}

describe('fixed schedule', () => {
  it('spreads the checks of one interval evenly over it, in slot order', () => {
    const phases = assignPhases([spec(7, 1000), spec(1, 1000), spec(3, 1000), spec(5, 1000)]);
    expect(phases.map((p) => [p.spec.slot, p.phaseMs])).toEqual([
      [1, 0],
      [3, 250],
      [5, 500],
      [7, 750],
    ]);
  });

  it('spreads each interval group on its own', () => {
    const phases = assignPhases([spec(0, 1000), spec(1, 3000), spec(2, 1000), spec(3, 3000), spec(4, 3000)]);
    expect(phases.map((p) => [p.spec.slot, p.phaseMs])).toEqual([
      [0, 0],
      [1, 0],
      [2, 500],
      [3, 1000],
      [4, 2000],
    ]);
  });

  it('every check starts within its first interval after boot, and then every interval exactly', () => {
    const [c] = assignPhases([spec(0, 1000), spec(1, 1000), spec(2, 1000)]).slice(2);
    expect(c).toBeDefined();
    if (c === undefined) return;
    expect(probeTime(10_000, c, 0) - 10_000).toBeLessThan(1000);
    expect(probeTime(10_000, c, 5) - probeTime(10_000, c, 4)).toBe(1000);
  });

  it('a resumed worker picks the next probe on the original schedule', () => {
    const [, c] = assignPhases([spec(0, 1000), spec(1, 1000)]);
    if (c === undefined) throw new Error('missing');
    // phase 500: probes at 500, 1500, 2500, …
    expect(nextProbeIndex(0, c, 0)).toBe(0);
    expect(nextProbeIndex(0, c, 1600)).toBe(2);
    expect(probeTime(0, c, nextProbeIndex(0, c, 1600))).toBe(2500);
    expect(nextProbeIndex(0, c, 1500)).toBe(1);
  });

  it('partitions by slot modulo the worker count, whatever the other checks are', () => {
    const a = partitionChecks(assignPhases([0, 1, 2, 3, 4, 5].map((s) => spec(s, 1000))), 2);
    expect(a.map((p) => p.map((c) => c.spec.slot))).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    const b = partitionChecks(assignPhases([1, 4, 9].map((s) => spec(s, 1000))), 2);
    expect(b.map((p) => p.map((c) => c.spec.slot))).toEqual([[4], [1, 9]]);
  });
});
