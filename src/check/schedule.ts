import { performance } from 'node:perf_hooks';
import type { ProbeCheckSpec } from '../config/plan.js';

/** A probe check with its place on the fixed schedule. */
export interface ScheduledCheck {
  readonly spec: ProbeCheckSpec;
  /** Offset of this check's probes within each interval, ms (0 ≤ phase < interval). */
  readonly phaseMs: number;
}

/**
 * Gives every probe check a fixed phase: the checks sharing an interval,
 * in slot order, are spread evenly over it (the k-th of n starts at
 * k × interval / n). A check's probe times are then
 * `epoch + phase + j × interval` for j = 0, 1, 2, … — probes never bunch,
 * every check starts within its first interval after boot, and nothing a
 * target does moves them.
 */
export function assignPhases(checks: readonly ProbeCheckSpec[]): ScheduledCheck[] {
  const byInterval = new Map<number, ProbeCheckSpec[]>();
  for (const c of checks) {
    const group = byInterval.get(c.intervalMs) ?? [];
    group.push(c);
    byInterval.set(c.intervalMs, group);
  }
  const out: ScheduledCheck[] = [];
  for (const [interval, group] of byInterval) {
    group.sort((a, b) => a.slot - b.slot);
    group.forEach((spec, k) => out.push({ spec, phaseMs: (k * interval) / group.length }));
  }
  return out.sort((a, b) => a.spec.slot - b.spec.slot);
}

/**
 * Splits scheduled checks into `partitions` fixed groups by slot (slot mod
 * partitions), so a check stays with the same worker for as long as the
 * worker count stays the same, whatever else the config changes.
 */
export function partitionChecks(checks: readonly ScheduledCheck[], partitions: number): ScheduledCheck[][] {
  const parts: ScheduledCheck[][] = Array.from({ length: partitions }, () => []);
  for (const c of checks) (parts[c.spec.slot % partitions] as ScheduledCheck[]).push(c);
  return parts;
}

/** Time of the j-th probe of a check, ms on the shared clock. */
export function probeTime(epochMs: number, check: ScheduledCheck, j: number): number {
  return epochMs + check.phaseMs + j * check.spec.intervalMs;
}

/** The first probe index whose time is ≥ nowMs (used when a worker resumes mid-schedule). */
export function nextProbeIndex(epochMs: number, check: ScheduledCheck, nowMs: number): number {
  return Math.max(0, Math.ceil((nowMs - epochMs - check.phaseMs) / check.spec.intervalMs));
}

/** The shared wall clock the schedule runs on: ms since the epoch, monotonic within a thread. */
export function scheduleClock(): number {
  return performance.timeOrigin + performance.now();
}
