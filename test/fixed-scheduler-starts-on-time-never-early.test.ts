import { describe, expect, it } from 'vitest';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { FixedScheduler } from '../src/check/fixed-scheduler.js';
import { assignPhases, nextProbeIndex, probeTime, scheduleClock, type ScheduledCheck } from '../src/check/schedule.js';
import { SharedHistogram, countsTotal, readCounts } from '../src/metrics/shared-histogram.js';

function spec(slot: number, intervalMs: number): ProbeCheckSpec {
  return {
    kind: 'probe', id: `c${slot}`, slot, type: 'tcp', host: '127.0.0.1', port: 9, path: '/', statusMin: 200, statusMax: 399,
    bodyMatch: null, verifyTls: false, intervalMs, timeoutMs: intervalMs / 2, failureThreshold: 3, inverted: false, disabled: false,
  };
}

describe('FixedScheduler', () => {
  it('starts every entry once per interval, at or after its scheduled time and never before, and records each start', async () => {
    const intervalMs = 100;
    const checks = assignPhases(Array.from({ length: 40 }, (_, s) => spec(s, intervalMs)));
    // A fractional epoch: scheduled times fall between the timer clock's whole ms.
    const epochMs = scheduleClock() + 20.37;
    const starts = new Map<ScheduledCheck, number[]>(checks.map((c) => [c, []]));
    const buffer = SharedHistogram.buffer(1);
    const scheduler = new FixedScheduler(epochMs, checks.map((check) => ({ check })), new SharedHistogram(buffer), (e) => {
      starts.get(e.check)?.push(scheduleClock());
    });
    const first = new Map(checks.map((c) => [c, nextProbeIndex(epochMs, c, scheduleClock())]));
    scheduler.start();
    await new Promise((r) => setTimeout(r, 5 * intervalMs + 40));
    scheduler.stop();
    const stoppedAt = scheduleClock();
    await new Promise((r) => setTimeout(r, 2 * intervalMs));

    let total = 0;
    for (const c of checks) {
      const times = starts.get(c) ?? [];
      // Nothing after stop(), and every probe time before it was started once.
      const due = Array.from({ length: times.length }, (_, k) => probeTime(epochMs, c, (first.get(c) as number) + k));
      expect(times.every((t) => t <= stoppedAt)).toBe(true);
      expect(times.length).toBeGreaterThanOrEqual(4);
      for (let k = 0; k < times.length; k++) {
        expect(times[k]).toBeGreaterThanOrEqual(due[k] as number);
        // Late only by loop slack, never by a whole interval (which would mean a skipped or doubled start).
        expect((times[k] as number) - (due[k] as number)).toBeLessThan(intervalMs / 2);
      }
      total += times.length;
    }
    expect(countsTotal(readCounts(buffer))).toBe(total);
  });
});
