import { ObservationTable } from '../table/observation-table.js';
import {
  kCheckerStopField,
  kProbesDoneOffset,
  kProbesFailedOffset,
  kProbesByReasonOffset,
  kProbesStartedOffset,
  kPartitionRunningOffset,
  partitionField,
  type CheckerTask,
  type CheckerTaskResult,
} from './messages.js';
import type { ScheduledCheck } from './schedule.js';
import { FixedScheduler } from './fixed-scheduler.js';
import { probeStartFor } from './probe.js';
import type { ProbeDone, ProbeStart } from './probe-common.js';
import { REASON_CODE_MASK, Result } from '../table/layout.js';
import { packReason } from '../table/failure-reason.js';
import { SharedHistogram } from '../metrics/shared-histogram.js';

interface Entry {
  readonly check: ScheduledCheck;
  readonly probe: ProbeStart;
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
  const byReason = partitionField(task.partition, kProbesByReasonOffset);
  // In shared memory, so the pool reads lateness while the schedule runs.
  const lateness = new SharedHistogram(task.lateness, task.partition);
  let probes = 0;
  // Probes in flight, and what to call when the last one ends once stopping.
  let inflight = 0;
  let drained: (() => void) | null = null;

  // One function for every probe's verdict; the entry is the context.
  // The reason word is packed for every verdict, success (0) included: the same work either way.
  const onVerdict: ProbeDone<Entry> = (e, result, latencyUs, reason, httpStatus) => {
    const why = packReason(reason, httpStatus);
    observations.record(task.vantage, e.check.spec.slot, result, latencyUs, why);
    Atomics.add(control, byReason + (why & REASON_CODE_MASK), 1);
    Atomics.add(control, done, 1);
    if (result !== Result.SUCCESS) Atomics.add(control, failed, 1);
    inflight -= 1;
    if (inflight === 0 && drained !== null) drained();
  };

  const entries: Entry[] = task.checks.map((check) => ({ check, probe: probeStartFor(check.spec) }));
  const schedule = new FixedScheduler(task.epochMs, entries, lateness, (e) => {
    probes += 1;
    Atomics.add(control, started, 1);
    inflight += 1;
    e.probe(e.check.spec, e.check.spec.timeoutMs, onVerdict, e);
  });

  Atomics.store(control, partitionField(task.partition, kPartitionRunningOffset), 1);
  schedule.start();

  // Sleep until the stop word moves off the value we were started with.
  const wait = Atomics.waitAsync(control, kCheckerStopField, task.stopGeneration);
  if (wait.async) await wait.value;

  schedule.stop();
  // Probes end by their deadline; let them write their last results.
  if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve));
  Atomics.store(control, partitionField(task.partition, kPartitionRunningOffset), 0);
  return { partition: task.partition, probes };
}
