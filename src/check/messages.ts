/**
 * The one contract between the main thread's CheckerPool and the checker
 * workers: what a checker task receives and returns, and the named fields of
 * the shared control buffer. Neither side imports the other.
 */
import type { ScheduledCheck } from './schedule.js';

/** Int32 control fields, one cache line of header then one line per partition. */
export const kCheckerStopField = 0;
export const kCheckerHeaderFields = 16;
export const kCheckerPartitionStride = 16;
/** Per partition: probes started (wrapping Int32). */
export const kProbesStartedOffset = 0;
/** Per partition: probes finished with a result written. */
export const kProbesDoneOffset = 1;
/** Per partition: probes that failed. */
export const kProbesFailedOffset = 2;
/** Per partition: the task is running (1) or not (0). */
export const kPartitionRunningOffset = 3;
/**
 * Per partition: probes finished by reason code (table/layout.ts), fields
 * offset + 0 … offset + 7; + 0 counts the successes (reason "none"). Every
 * verdict adds 1 to one of them, so success and failure do the same work.
 */
export const kProbesByReasonOffset = 4;
export const kReasonCodes = 8;

export function checkerControlFields(partitions: number): number {
  return kCheckerHeaderFields + partitions * kCheckerPartitionStride;
}

export function partitionField(partition: number, offset: number): number {
  return kCheckerHeaderFields + partition * kCheckerPartitionStride + offset;
}

/** What the pool submits to a worker: run this partition until stopped. */
export interface CheckerTask {
  readonly partition: number;
  readonly vantage: number;
  readonly checks: readonly ScheduledCheck[];
  /** Shared clock origin of the schedule: ms since the epoch. */
  readonly epochMs: number;
  /** The ObservationTable's SharedArrayBuffer. */
  readonly observations: SharedArrayBuffer;
  /** The control Int32Array's SharedArrayBuffer. */
  readonly control: SharedArrayBuffer;
  /** The stop word's value when the task was submitted; the task ends when it changes. */
  readonly stopGeneration: number;
  /** SharedHistogram buffer, one histogram per partition: probe start lateness, µs. */
  readonly lateness: SharedArrayBuffer;
}

/** What a task returns when stopped. */
export interface CheckerTaskResult {
  readonly partition: number;
  readonly probes: number;
}
