/**
 * A node — checker, aggregator, DNS front — is a plain object with
 * `applyPlan(diff)` and `tick(now)`, testable in one process; a role (a
 * process) wires nodes to sockets, signals and the admin listener. This
 * module says what a reload hands every node (`PlanDiff`) and applies it in
 * the one order every process uses (`reloadNodes`).
 */
import type { Plan } from './config/plan.js';
import { sameKey } from './config/frame-key.js';
import { changedSlots, sameProbeChecks } from './config/plan-change.js';
import { SnapshotEncoder } from './snapshot/encoder.js';

/** One config pass as every node sees it: applied in full, changed or not. */
export interface PlanDiff {
  readonly prev: Plan;
  readonly next: Plan;
  /** The frame key that came with `next` (undefined: CRC32C only). */
  readonly key: Uint8Array | undefined;
  /** Slots whose check identity (id or kind) changed: they start from "never observed" and no verdict. */
  readonly changedSlots: readonly number[];
  /** False when the probe checks are field-for-field the same: the checker tasks keep running. */
  readonly probeChecksChanged: boolean;
}

const NOTHING_CHANGED: readonly number[] = Object.freeze([]);

/**
 * What a pass changes. The usual pass hands back the very plan object in
 * force (ConfigLoop keeps it when the version is unchanged): that is one
 * comparison, not a walk of every check, which at 16,000 checks took the
 * ticking thread 40–300 ms a pass.
 */
export function planDiff(prev: Plan, next: Plan, key: Uint8Array | undefined): PlanDiff {
  if (prev === next) return { prev, next, key, changedSlots: NOTHING_CHANGED, probeChecksChanged: false };
  return { prev, next, key, changedSlots: changedSlots(prev, next), probeChecksChanged: !sameProbeChecks(prev, next) };
}

/** A node whose reload has an asynchronous part (the checker: old probes must end first). */
export interface AsyncNode {
  applyPlan(diff: PlanDiff): Promise<void>;
}

/** A node whose reload is synchronous, so a tick on the same thread sees all of it or none. */
export interface SyncNode {
  applyPlan(diff: PlanDiff): void;
}

/**
 * The reload sequence, the same in every process: first the checker (its
 * tasks restarted and awaited when the probe checks changed, so no probe of
 * an old check writes after this), then, with no await in between, every
 * other node in order.
 */
export async function reloadNodes(
  diff: PlanDiff,
  checker: AsyncNode | null,
  nodes: readonly SyncNode[],
): Promise<void> {
  if (checker !== null) await checker.applyPlan(diff);
  for (const n of nodes) n.applyPlan(diff);
}

/**
 * The frame encoder after a reload: the same one with the new config
 * version, or, when the key changed, a new one that carries on the epoch and
 * sequence so receivers see no restart.
 */
export function followEncoder(
  encoder: SnapshotEncoder,
  prevKey: Uint8Array | undefined,
  diff: PlanDiff,
): SnapshotEncoder {
  if (sameKey(prevKey, diff.key)) {
    encoder.configVersion = diff.next.version;
    return encoder;
  }
  return new SnapshotEncoder({
    cell: diff.next.cell.name,
    configVersion: diff.next.version,
    epoch: encoder.epoch,
    firstSequence: encoder.sequence,
    ...(encoder.vantage === undefined ? {} : { vantage: encoder.vantage }),
    ...(diff.key === undefined ? {} : { key: diff.key }),
  });
}
