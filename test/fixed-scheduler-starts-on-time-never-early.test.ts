import { describe, expect, it } from 'vitest';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { FixedScheduler } from '../src/check/fixed-scheduler.js';
import { assignPhases, nextProbeIndex, probeTime, scheduleClock, type ScheduledCheck } from '../src/check/schedule.js';
import { SharedHistogram, countsTotal, readCounts } from '../src/metrics/shared-histogram.js';

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

/** Runs `checks` for `runMs`, then checks every start against the schedule. */
async function runAndCheck(
  checks: ScheduledCheck[],
  runMs: number,
  minStarts: (c: ScheduledCheck) => number,
): Promise<void> {
  // A fractional epoch: scheduled times fall between the timer clock's whole ms.
  const epochMs = scheduleClock() + 20.37;
  const starts = new Map<ScheduledCheck, number[]>(checks.map((c) => [c, []]));
  const buffer = SharedHistogram.buffer(1);
  const scheduler = new FixedScheduler(
    epochMs,
    checks.map((check) => ({ check })),
    new SharedHistogram(buffer),
    (e) => {
      starts.get(e.check)?.push(scheduleClock());
    },
  );
  const first = new Map(checks.map((c) => [c, nextProbeIndex(epochMs, c, scheduleClock())]));
  scheduler.start();
  await new Promise((r) => setTimeout(r, runMs));
  scheduler.stop();
  const stoppedAt = scheduleClock();
  await new Promise((r) => setTimeout(r, 300));

  let total = 0;
  for (const c of checks) {
    const times = starts.get(c) ?? [];
    // Nothing after stop(), and every probe time before it was started once.
    const due = Array.from({ length: times.length }, (_, k) => probeTime(epochMs, c, (first.get(c) as number) + k));
    expect(times.every((t) => t <= stoppedAt)).toBe(true);
    expect(times.length).toBeGreaterThanOrEqual(minStarts(c));
    for (let k = 0; k < times.length; k++) {
      expect(times[k]).toBeGreaterThanOrEqual(due[k] as number);
      // Late only by loop slack, never by a whole interval (which would mean a skipped or doubled start).
      expect((times[k] as number) - (due[k] as number)).toBeLessThan(c.spec.intervalMs / 2);
    }
    // No probe time due before stop() was left out.
    const nextDue = probeTime(epochMs, c, (first.get(c) as number) + times.length);
    expect(nextDue).toBeGreaterThan(stoppedAt - c.spec.intervalMs / 2);
    total += times.length;
  }
  expect(countsTotal(readCounts(buffer))).toBe(total);
}

describe('FixedScheduler', () => {
  it('starts every entry once per interval, at or after its scheduled time and never before, and records each start', async () => {
    const intervalMs = 100;
    const checks = assignPhases(Array.from({ length: 40 }, (_, s) => spec(s, intervalMs)));
    await runAndCheck(checks, 5 * intervalMs + 40, () => 4);
  });

  it('keeps each check on its own interval when intervals differ', async () => {
    // Three intervals interleaved by slot: the earliest-due order mixes them.
    const intervals = [60, 100, 150];
    // Handed over latest phase first, so the order given is no help.
    const checks = assignPhases(Array.from({ length: 45 }, (_, s) => spec(s, intervals[s % 3] as number))).reverse();
    await runAndCheck(checks, 640, (c) => Math.floor(600 / c.spec.intervalMs) - 1);
  });

  it('starts nothing after stop(), and a restart resumes from the schedule', async () => {
    const checks = assignPhases(Array.from({ length: 10 }, (_, s) => spec(s, 50)));
    let starts = 0;
    const scheduler = new FixedScheduler(
      scheduleClock(),
      checks.map((check) => ({ check })),
      new SharedHistogram(SharedHistogram.buffer(1)),
      () => void (starts += 1),
    );
    scheduler.start();
    await new Promise((r) => setTimeout(r, 120));
    scheduler.stop();
    const atStop = starts;
    expect(atStop).toBeGreaterThanOrEqual(10);
    await new Promise((r) => setTimeout(r, 120));
    expect(starts).toBe(atStop);
    scheduler.start();
    await new Promise((r) => setTimeout(r, 120));
    scheduler.stop();
    expect(starts).toBeGreaterThanOrEqual(atStop + 10);
  });
});
