import os from 'node:os';
import { Piscina } from 'piscina';
import type { ProbeCheckSpec } from '../config/plan.js';
import type { ObservationTable } from '../table/observation-table.js';
import { FAILURE_REASONS } from '../table/layout.js';
import { compiledWorker } from '../worker-path.js';
import {
  checkerControlFields,
  kCheckerStopField,
  kProbesDoneOffset,
  kProbesFailedOffset,
  kProbesByReasonOffset,
  kProbesStartedOffset,
  partitionField,
  type CheckerTask,
  type CheckerTaskResult,
} from './messages.js';
import { assignPhases, partitionChecks, type ScheduledCheck } from './schedule.js';
import { scheduleClock } from './schedule.js';
import { SharedHistogram, readCounts } from '../metrics/shared-histogram.js';

/** Options of a CheckerPool. */
export interface CheckerPoolOptions {
  /** Checker worker threads; each owns the slots ≡ its index (mod workers). Default: min(2, cores). */
  workers?: number;
  /** Row of the ObservationTable this process writes (its vantage point). Default 0. */
  vantage?: number;
  /** Where crash reports go; default stderr. */
  log?: (message: string) => void;
  /** Delay before a crashed partition is resubmitted, ms: the fixed cadence, no backoff. Default 1000. */
  restartDelayMs?: number;
}

/** Counters of a running pool. */
export interface CheckerPoolStats {
  readonly workers: number;
  readonly probesStarted: number;
  readonly probesDone: number;
  readonly probesFailed: number;
  /** Failed probes by reason, in FAILURE_REASONS order (codes 1…7). */
  readonly probesFailedByReason: readonly number[];
  /** Worker threads lost (crashed or killed) since start. */
  readonly crashes: number;
}

/**
 * The checker workers of one process: a piscina pool running one
 * long-lived task per partition of the cell's probe checks. Each task probes
 * its checks on the fixed schedule and writes observations into the shared
 * ObservationTable. A task whose thread dies is counted, logged, and
 * resubmitted after `restartDelayMs` with the same schedule origin, so its
 * slots resume on their phases.
 *
 * Sized for the worst case: every probe of the cell timing out at once
 * holds checks × timeout / interval sockets open; the pool runs them all
 * concurrently, with nothing queued behind a slow target.
 */
export class CheckerPool {
  readonly workers: number;
  private readonly vantage: number;
  private readonly observations: ObservationTable;
  private readonly control: Int32Array;
  private readonly latenessBuffer: SharedArrayBuffer;
  private readonly piscina: Piscina<CheckerTask, CheckerTaskResult>;
  private readonly log: (message: string) => void;
  private readonly restartDelayMs: number;
  private partitions: ScheduledCheck[][] = [];
  private epochMs = 0;
  private crashes = 0;
  private running: Promise<CheckerTaskResult | null>[] = [];
  private restartTimers = new Set<NodeJS.Timeout>();
  private stopped = true;

  constructor(observations: ObservationTable, options: CheckerPoolOptions = {}) {
    this.workers = options.workers ?? Math.max(1, Math.min(2, os.availableParallelism()));
    this.vantage = options.vantage ?? 0;
    this.observations = observations;
    this.log = options.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.restartDelayMs = options.restartDelayMs ?? 1000;
    this.control = new Int32Array(new SharedArrayBuffer(4 * checkerControlFields(this.workers)));
    this.latenessBuffer = SharedHistogram.buffer(this.workers);
    this.piscina = new Piscina<CheckerTask, CheckerTaskResult>({
      filename: compiledWorker('checker'),
      minThreads: this.workers,
      maxThreads: this.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Our tasks live as long as the schedule; nothing should ever park a checker's loop.
      atomics: 'disabled',
    });
  }

  /** The piscina pool's threads (tests kill one to prove recovery). */
  get threads(): readonly import('node:worker_threads').Worker[] {
    return this.piscina.threads;
  }

  /** Starts probing `checks` on a schedule whose origin is `epochMs` (default: now). */
  start(checks: readonly ProbeCheckSpec[], epochMs: number = scheduleClock()): void {
    if (!this.stopped) throw new Error('CheckerPool.start: already running');
    this.stopped = false;
    this.epochMs = epochMs;
    this.partitions = partitionChecks(assignPhases(checks), this.workers);
    const generation = Atomics.load(this.control, kCheckerStopField);
    this.running = this.partitions.map((_, p) => this.submit(p, generation));
  }

  /**
   * Replaces the checks (a config reload): stops the tasks and starts new
   * ones on the same schedule origin, so unchanged checks keep their phase.
   * Observations are untouched: nothing resets to unknown.
   */
  async reload(checks: readonly ProbeCheckSpec[]): Promise<void> {
    const epoch = this.epochMs;
    await this.stopTasks();
    this.start(checks, epoch);
  }

  /** Stops probing; resolves when every in-flight probe has finished. Returns each task's result. */
  async stop(): Promise<CheckerTaskResult[]> {
    const results = await this.stopTasks();
    await this.piscina.destroy();
    return results;
  }

  stats(): CheckerPoolStats {
    let probesStarted = 0;
    let probesDone = 0;
    let probesFailed = 0;
    const probesFailedByReason = FAILURE_REASONS.map(() => 0);
    for (let p = 0; p < this.workers; p++) {
      probesStarted += Atomics.load(this.control, partitionField(p, kProbesStartedOffset)) >>> 0;
      probesDone += Atomics.load(this.control, partitionField(p, kProbesDoneOffset)) >>> 0;
      probesFailed += Atomics.load(this.control, partitionField(p, kProbesFailedOffset)) >>> 0;
      for (let r = 0; r < probesFailedByReason.length; r++) {
        const field = partitionField(p, kProbesByReasonOffset + 1 + r);
        probesFailedByReason[r] = (probesFailedByReason[r] as number) + (Atomics.load(this.control, field) >>> 0);
      }
    }
    return {
      workers: this.workers,
      probesStarted,
      probesDone,
      probesFailed,
      probesFailedByReason,
      crashes: this.crashes,
    };
  }

  /**
   * Probe start lateness (actual start − scheduled time), µs, as
   * SharedHistogram counts summed over the workers since the pool was made.
   * Two reads bracket a window: `subtractCounts(later, earlier)`, then
   * `countsPercentile(window, 99)`.
   */
  lateness(): Float64Array {
    return readCounts(this.latenessBuffer);
  }

  private async stopTasks(): Promise<CheckerTaskResult[]> {
    this.stopped = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    Atomics.add(this.control, kCheckerStopField, 1);
    Atomics.notify(this.control, kCheckerStopField);
    const results = await Promise.all(this.running);
    this.running = [];
    return results.filter((r): r is CheckerTaskResult => r !== null);
  }

  private submit(partition: number, generation: number): Promise<CheckerTaskResult | null> {
    const task: CheckerTask = {
      partition,
      vantage: this.vantage,
      checks: this.partitions[partition] ?? [],
      epochMs: this.epochMs,
      observations: this.observations.buffer,
      control: this.control.buffer as SharedArrayBuffer,
      stopGeneration: generation,
      lateness: this.latenessBuffer,
    };
    return this.piscina.run(task).catch((err: unknown) => {
      if (this.stopped || Atomics.load(this.control, kCheckerStopField) !== generation) return null;
      this.crashes += 1;
      this.log(
        `urnd: checker worker for partition ${partition} died (${err instanceof Error ? err.message : String(err)}); crash ${this.crashes}, restarting its ${task.checks.length} checks in ${this.restartDelayMs} ms`,
      );
      return new Promise<CheckerTaskResult | null>((resolve) => {
        const timer = setTimeout(() => {
          this.restartTimers.delete(timer);
          if (this.stopped) resolve(null);
          else resolve(this.submit(partition, generation));
        }, this.restartDelayMs);
        this.restartTimers.add(timer);
        // Stopping while waiting to restart: settle at once.
        const stopWait = Atomics.waitAsync(this.control, kCheckerStopField, generation);
        if (stopWait.async) {
          void stopWait.value.then(() => {
            clearTimeout(timer);
            this.restartTimers.delete(timer);
            resolve(null);
          });
        }
      });
    });
  }
}
