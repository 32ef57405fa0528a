import type { Plan } from '../config/plan.js';
import type { CheckerNode } from '../check/checker-node.js';
import { followEncoder, type PlanDiff } from '../node.js';
import { clearObservations } from '../config/plan-change.js';
import { VectorIntake } from '../roles/receivers.js';
import { SnapshotEncoder } from '../snapshot/encoder.js';
import type { ReceiveOutcome } from '../snapshot/receiver.js';
import type { ObservationTable } from '../table/observation-table.js';
import { StatusTable } from '../table/status-table.js';
import { Aggregator, type TickStats } from './aggregator.js';

/** Ticks without a good vector after which a remote vantage counts as silent (Aggregator.setReporting). */
export const VANTAGE_SILENCE_TICKS = 5;

export interface AggregatorNodeOptions {
  /** Rows filled by pushed vectors (remote vantage points); the others are local rows. */
  readonly remote: readonly number[];
  /** The checker writing a local row, if any: warm-up waits for it to probe every check once. */
  readonly local?: CheckerNode | null;
  /** Frame key of vectors in and status frames out; undefined: CRC32C only. */
  readonly key?: Uint8Array | undefined;
  /** Tick period, ms, fixed (`--tick-ms`); default: the plan's `aggregator.tick`, followed on reload. */
  readonly tickMs?: number;
  readonly healthyFraction?: number;
  /** Start of warm-up, ms since epoch; default now. */
  readonly startedMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * The aggregator's rules, without a process: vectors in (`receiveVector`),
 * one vote over every slot a tick (`tick`), the status table out as a frame
 * (`frame`), and reloads (`applyPlan`).
 *
 * - **Silent vantages.** A remote vantage without a good vector for
 *   VANTAGE_SILENCE_TICKS ticks is marked silent (Aggregator.setReporting):
 *   its last verdicts are kept and vote only on slots no reporting vantage
 *   has observed. Losing vantages never turns a verdict into "unknown"
 *   (which answers as healthy), and a restarted checker's "never observed"
 *   row changes no verdict until its probes have results.
 * - **Warm-up.** A started aggregator has no verdicts; publishing at once
 *   would replace every DNS server's good table with unknowns. `tick`
 *   returns true (publish) from the first tick after every remote vantage
 *   has sent a vector and the local checker, if any, has probed every check
 *   once, or once `aggregator.warmup` has passed, whichever is first.
 * - **Reloads** clear the changed slots' words in every row and their
 *   verdicts; a vector still built on another config version has those
 *   slots cleared again as it is applied, until its vantage catches up.
 */
export class AggregatorNode {
  readonly observations: ObservationTable;
  readonly status: StatusTable;
  readonly aggregator: Aggregator;
  readonly intake: VectorIntake;
  readonly remote: readonly number[];
  private readonly local: CheckerNode | null;
  private readonly fixedTickMs: number | undefined;
  private readonly startedMs: number;
  private readonly log: (message: string) => void;
  private planRef: Plan;
  private key: Uint8Array | undefined;
  private encoder: SnapshotEncoder;
  private warmed = false;
  /** Slots whose check identity changed at the last reload. */
  private reloadedSlots: readonly number[] = [];

  constructor(plan: Plan, observations: ObservationTable, options: AggregatorNodeOptions) {
    this.planRef = plan;
    this.observations = observations;
    this.status = StatusTable.create(plan.cell.capacity);
    this.aggregator = new Aggregator(
      plan,
      observations,
      this.status,
      options.healthyFraction === undefined ? {} : { healthyFraction: options.healthyFraction },
    );
    this.remote = options.remote;
    this.local = options.local ?? null;
    this.fixedTickMs = options.tickMs;
    this.startedMs = options.startedMs ?? Date.now();
    this.log = options.log ?? (() => {});
    this.key = options.key;
    this.intake = new VectorIntake(observations, options.remote, plan, options.key);
    this.encoder = new SnapshotEncoder({
      cell: plan.cell.name,
      configVersion: plan.version,
      ...(options.key === undefined ? {} : { key: options.key }),
    });
  }

  get plan(): Plan {
    return this.planRef;
  }

  /** The tick period in force, ms. */
  get tickMs(): number {
    return this.fixedTickMs ?? this.planRef.aggregator.tickMs;
  }

  /** True once warm-up is over: status frames go out. */
  get warm(): boolean {
    return this.warmed;
  }

  get stats(): Readonly<TickStats> {
    return this.aggregator.stats;
  }

  /** Checks and applies one observation vector; never throws for a bad one. */
  receiveVector(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    const out = this.intake.receive(bytes, nowMs);
    if (out.applied && out.frame.configVersion !== this.planRef.version && this.reloadedSlots.length > 0) {
      clearObservations(this.observations, out.frame.vantage as number, this.reloadedSlots);
    }
    return out;
  }

  /** Seconds since remote vantage `v`'s last good vector; null if none yet. */
  vantageAge(v: number, nowMs: number = Date.now()): number | null {
    return this.intake.staleness(v, nowMs).secondsSinceLastGood;
  }

  /**
   * One tick: mark each remote vantage reporting or silent, vote over every
   * slot, and say whether to publish (false while warming up).
   */
  tick(nowMs: number = Date.now()): boolean {
    const limitS = (VANTAGE_SILENCE_TICKS * this.tickMs) / 1000;
    for (const v of this.remote) {
      const age = this.vantageAge(v, nowMs);
      const reporting = age !== null && age <= limitS;
      const was = this.aggregator.isReporting(v);
      if (reporting === was) continue;
      this.aggregator.setReporting(v, reporting);
      if (age === null) continue; // never reported: nothing to say
      this.log(
        reporting
          ? `urnd aggregator: vantage ${v} reporting again`
          : `urnd aggregator: vantage ${v} silent for ${age.toFixed(1)} s: its last verdicts stand, and count only where no reporting vantage has observed the check`,
      );
    }
    this.aggregator.tick(nowMs);
    if (!this.warmed) this.warmed = this.isWarm(nowMs);
    return this.warmed;
  }

  /** The status table as one status frame (between ticks, on the thread that ticks: one tick's table, whole). */
  frame(nowMs: number = Date.now()): Buffer {
    return this.encoder.encodeStatus(this.status, nowMs);
  }

  /** A reload, synchronous: a tick on this thread sees all of it or none. */
  applyPlan(diff: PlanDiff): void {
    for (let v = 0; v < this.observations.vantages; v++) clearObservations(this.observations, v, diff.changedSlots);
    // The plan in force again (the usual, unchanged pass): the aggregator's per-slot arrays were compiled from this
    // very object, so compiling them again (O(capacity), ms at 16k slots, on the ticking thread) would change nothing.
    if (diff.next !== this.planRef) this.aggregator.setPlan(diff.next);
    if (diff.changedSlots.length > 0) this.reloadedSlots = diff.changedSlots;
    this.intake.apply(diff.next, diff.key);
    this.encoder = followEncoder(this.encoder, this.key, diff);
    this.key = diff.key;
    this.planRef = diff.next;
  }

  private isWarm(nowMs: number): boolean {
    if (nowMs - this.startedMs >= this.planRef.aggregator.warmupMs) return true;
    for (const v of this.remote) if (this.vantageAge(v, nowMs) === null) return false;
    return this.local === null || this.local.probedEveryCheck();
  }
}
