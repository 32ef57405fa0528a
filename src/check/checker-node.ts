import type { Plan } from '../config/plan.js';
import type { PlanDiff } from '../node.js';
import { followEncoder } from '../node.js';
import { clearObservations, probeChecks } from '../config/plan-change.js';
import { SnapshotEncoder } from '../snapshot/encoder.js';
import type { ObservationTable } from '../table/observation-table.js';
import { CheckerPool, type CheckerPoolOptions } from './checker-pool.js';

export interface CheckerNodeOptions {
  /** Checker worker threads (default: min(2, cores)). */
  readonly workers?: number;
  readonly log?: (message: string) => void;
  /** Stamped on the vectors `tick` encodes (the row at the aggregators); default: the local row. */
  readonly vantage?: number;
  /** Frame key of the vectors; undefined: CRC32C only. */
  readonly key?: Uint8Array | undefined;
}

/**
 * One vantage point's probing: checker worker threads write observation
 * words into one row of an ObservationTable on the plan's fixed schedule.
 * `tick` encodes that whole row as one vector (for a checker process to
 * push); in a cell or an aggregator with local checks the row is read in
 * place and `tick` is never called.
 */
export class CheckerNode {
  readonly pool: CheckerPool;
  readonly table: ObservationTable;
  readonly row: number;
  private planRef: Plan;
  private key: Uint8Array | undefined;
  private encoder: SnapshotEncoder;

  constructor(plan: Plan, table: ObservationTable, row: number, options: CheckerNodeOptions = {}) {
    this.planRef = plan;
    this.table = table;
    this.row = row;
    this.key = options.key;
    const poolOptions: CheckerPoolOptions = {
      vantage: row,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.log === undefined ? {} : { log: options.log }),
    };
    this.pool = new CheckerPool(table, poolOptions);
    this.encoder = new SnapshotEncoder({
      cell: plan.cell.name,
      configVersion: plan.version,
      ...(options.vantage === undefined ? {} : { vantage: options.vantage }),
      ...(options.key === undefined ? {} : { key: options.key }),
    });
  }

  get plan(): Plan {
    return this.planRef;
  }

  /** Starts probing the plan's probe checks. */
  start(): this {
    this.pool.start(probeChecks(this.planRef));
    return this;
  }

  /**
   * A reload: when the probe checks changed, the tasks restart on the same
   * schedule origin and are awaited (no old probe writes after this); then
   * the changed slots' words are cleared, so a new check starts from "never
   * observed" and never inherits the old one's run.
   */
  async applyPlan(diff: PlanDiff): Promise<void> {
    if (diff.probeChecksChanged) await this.pool.reload(probeChecks(diff.next));
    clearObservations(this.table, this.row, diff.changedSlots);
    this.encoder = followEncoder(this.encoder, this.key, diff);
    this.key = diff.key;
    this.planRef = diff.next;
  }

  /** The whole row as one observation vector, whatever changed: the aggregator gets the same work every time. */
  tick(nowMs: number = Date.now()): Buffer {
    return this.encoder.encodeObservations(this.table, this.row, nowMs);
  }

  /** True once every probe check has been probed at least once since start. */
  probedEveryCheck(): boolean {
    return this.pool.stats().probesDone >= probeChecks(this.planRef).length;
  }

  stop(): Promise<unknown> {
    return this.pool.stop();
  }
}
