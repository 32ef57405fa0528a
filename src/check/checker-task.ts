import { performance } from 'node:perf_hooks';
import { ObservationTable } from '../table/observation-table.js';
import {
  kCheckerStopField,
  kProbesDoneOffset,
  kProbesFailedOffset,
  kProbesStartedOffset,
  kPartitionRunningOffset,
  partitionField,
  type CheckerTask,
  type CheckerTaskResult,
} from './messages.js';
import { nextProbeIndex, probeTime, type ScheduledCheck } from './schedule.js';
import { probeFor, type Probe } from './probe.js';
import { Result } from '../table/layout.js';
import { SharedHistogram } from '../metrics/shared-histogram.js';

/** The shared wall clock the schedule runs on: ms since the epoch, monotonic within a thread. */
export function scheduleClock(): number {
  return performance.timeOrigin + performance.now();
}

interface Running {
  readonly check: ScheduledCheck;
  readonly probe: Probe;
  next: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Runs one partition of the cell's checks on their fixed schedule until the
 * control buffer's stop word changes, writing every result into the
 * ObservationTable. A failing target is probed exactly like a healthy one:
 * same times, no retry, no backoff. Every probe's sockets and timers belong
 * to this task, which stays pending while the schedule runs, so piscina
 * never parks the event loop under a live probe.
 */
export async function runCheckerTask(task: CheckerTask): Promise<CheckerTaskResult> {
  const observations = ObservationTable.attach(task.observations);
  const control = new Int32Array(task.control);
  const started = partitionField(task.partition, kProbesStartedOffset);
  const done = partitionField(task.partition, kProbesDoneOffset);
  const failed = partitionField(task.partition, kProbesFailedOffset);
  // In shared memory, so the pool reads lateness while the schedule runs.
  const lateness = new SharedHistogram(task.lateness, task.partition);
  const inflight = new Set<Promise<void>>();
  let probes = 0;

  const running: Running[] = task.checks.map((check) => ({
    check,
    probe: probeFor(check.spec),
    next: nextProbeIndex(task.epochMs, check, scheduleClock()),
    timer: null,
  }));

  const fire = (r: Running): void => {
    const due = probeTime(task.epochMs, r.check, r.next);
    const now = scheduleClock();
    lateness.record(Math.round((now - due) * 1000));
    // Arm the next probe first, from the schedule, not from this probe's end.
    r.next += 1;
    arm(r);
    probes += 1;
    Atomics.add(control, started, 1);
    const p = r.probe(r.check.spec, r.check.spec.timeoutMs).then((outcome) => {
      observations.record(task.vantage, r.check.spec.slot, outcome.result, outcome.latencyUs);
      Atomics.add(control, done, 1);
      if (outcome.result !== Result.SUCCESS) Atomics.add(control, failed, 1);
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const arm = (r: Running): void => {
    const wait = probeTime(task.epochMs, r.check, r.next) - scheduleClock();
    r.timer = setTimeout(fire, wait > 0 ? wait : 0, r);
  };

  Atomics.store(control, partitionField(task.partition, kPartitionRunningOffset), 1);
  for (const r of running) arm(r);

  // Sleep until the stop word moves off the value we were started with.
  const wait = Atomics.waitAsync(control, kCheckerStopField, task.stopGeneration);
  if (wait.async) await wait.value;

  for (const r of running) if (r.timer !== null) clearTimeout(r.timer);
  // Probes end by their deadline; let them write their last results.
  await Promise.all([...inflight]);
  Atomics.store(control, partitionField(task.partition, kPartitionRunningOffset), 0);
  return { partition: task.partition, probes };
}
