/**
 * Receivers that follow the config: a SnapshotReceiver (status frames, DNS
 * side) or an ObservationReceiver (vectors, aggregator side) that is built
 * again when the frame key or the tick changes, with its counters carried
 * over, so the status lines count every frame since start.
 */
import type { Plan } from '../config/plan.js';
import { defaultMaxFrameBytes } from '../snapshot/frame.js';
import { ObservationReceiver, SnapshotReceiver, type ReceiveOutcome, type ReceiverCounters, type Staleness } from '../snapshot/receiver.js';
import { REJECT_REASONS, type RejectReason } from '../snapshot/snapshot-error.js';
import type { ObservationTable } from '../table/observation-table.js';
import type { StatusTable } from '../table/status-table.js';
import { sameKey } from './frame-key.js';

/** Counters of retired receivers plus the current one's. */
function addCounters(base: ReceiverCounters, current: ReceiverCounters): ReceiverCounters {
  const out = { ...base };
  for (const k of Object.keys(current) as (keyof ReceiverCounters)[]) out[k] = (base[k] ?? 0) + current[k];
  return out;
}

function zero(): ReceiverCounters {
  const c = { received: 0, applied: 0 } as ReceiverCounters;
  for (const r of REJECT_REASONS) c[r] = 0;
  return c;
}

/** Rejections by reason, only the reasons seen: `{ checksum: 1, truncated: 2 }`. */
export function rejectionsByReason(c: ReceiverCounters): Partial<Record<RejectReason, number>> {
  const out: Partial<Record<RejectReason, number>> = {};
  for (const r of REJECT_REASONS) if (c[r] > 0) out[r] = c[r];
  return out;
}

/** Total rejections. */
export function rejectedTotal(c: ReceiverCounters): number {
  let n = 0;
  for (const r of REJECT_REASONS) n += c[r];
  return n;
}

/** `rejected 3 (checksum 1, truncated 2)`, or `rejected 0`. */
export function formatRejections(c: ReceiverCounters): string {
  const by = Object.entries(rejectionsByReason(c)).map(([r, n]) => `${r} ${n}`);
  return `rejected ${rejectedTotal(c)}${by.length > 0 ? ` (${by.join(', ')})` : ''}`;
}

/** `last good 0.4 s ago, seq 42, lag 0`, or `none yet`. */
export function formatStaleness(s: Staleness): string {
  if (s.secondsSinceLastGood === null) return 'none yet';
  return `last good ${s.secondsSinceLastGood.toFixed(1)} s ago, seq ${s.lastSequence}, lag ${s.sequenceLag}`;
}

/** The status frames a DNS process applies to its StatusTable. */
export class StatusIntake {
  readonly table: StatusTable;
  private receiver: SnapshotReceiver;
  private previous: SnapshotReceiver | null = null;
  private retired: ReceiverCounters = zero();
  private key: Uint8Array | undefined;
  private tickMs: number;
  private cell: string;
  /** The bytes of the last frame applied (a copy), for a DNS process started later. */
  private lastGood: Buffer | null = null;

  constructor(table: StatusTable, plan: Plan, key: Uint8Array | undefined) {
    this.table = table;
    this.key = key;
    this.tickMs = plan.aggregator.tickMs;
    this.cell = plan.cell.name;
    this.receiver = this.make();
  }

  /** Checks and applies one frame; never throws for a bad one. */
  receive(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    const out = this.receiver.receive(bytes, nowMs);
    if (out.applied) this.lastGood = Buffer.from(bytes);
    return out;
  }

  /** A new plan and key: the receiver is rebuilt if the key or the tick changed. */
  apply(plan: Plan, key: Uint8Array | undefined): void {
    if (sameKey(key, this.key) && plan.aggregator.tickMs === this.tickMs && plan.cell.name === this.cell) return;
    this.retired = addCounters(this.retired, this.receiver.counters);
    this.previous = this.receiver;
    this.key = key;
    this.tickMs = plan.aggregator.tickMs;
    this.cell = plan.cell.name;
    this.receiver = this.make();
  }

  /** How stale the table is (the previous receiver's view until the new one applies a frame). */
  staleness(nowMs: number = Date.now()): Staleness {
    const s = this.receiver.staleness(nowMs);
    if (s.secondsSinceLastGood === null && this.previous !== null) return this.previous.staleness(nowMs);
    return s;
  }

  get counters(): ReceiverCounters {
    return addCounters(this.retired, this.receiver.counters);
  }

  get lastFrame(): Buffer | null {
    return this.lastGood;
  }

  private make(): SnapshotReceiver {
    return new SnapshotReceiver(this.table, {
      cell: this.cell,
      tickMs: this.tickMs,
      maxBytes: defaultMaxFrameBytes(this.table.capacity, 'status'),
      ...(this.key === undefined ? {} : { key: this.key }),
    });
  }
}

/** The observation vectors an aggregator applies to the remote rows of its ObservationTable. */
export class VectorIntake {
  readonly table: ObservationTable;
  readonly vantages: readonly number[];
  private receiver: ObservationReceiver;
  private previous: ObservationReceiver | null = null;
  private retired: ReceiverCounters = zero();
  private key: Uint8Array | undefined;
  private tickMs: number;
  private cell: string;

  constructor(table: ObservationTable, vantages: readonly number[], plan: Plan, key: Uint8Array | undefined) {
    this.table = table;
    this.vantages = vantages;
    this.key = key;
    this.tickMs = plan.aggregator.tickMs;
    this.cell = plan.cell.name;
    this.receiver = this.make();
  }

  receive(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    return this.receiver.receive(bytes, nowMs);
  }

  apply(plan: Plan, key: Uint8Array | undefined): void {
    if (sameKey(key, this.key) && plan.aggregator.tickMs === this.tickMs && plan.cell.name === this.cell) return;
    this.retired = addCounters(this.retired, this.receiver.counters);
    this.previous = this.receiver;
    this.key = key;
    this.tickMs = plan.aggregator.tickMs;
    this.cell = plan.cell.name;
    this.receiver = this.make();
  }

  /** How stale one vantage's row is. */
  staleness(vantage: number, nowMs: number = Date.now()): Staleness {
    const s = this.receiver.staleness(vantage, nowMs);
    if (s.secondsSinceLastGood === null && this.previous !== null) return this.previous.staleness(vantage, nowMs);
    return s;
  }

  get counters(): ReceiverCounters {
    return addCounters(this.retired, this.receiver.counters);
  }

  private make(): ObservationReceiver {
    return new ObservationReceiver(this.table, {
      cell: this.cell,
      tickMs: this.tickMs,
      acceptVantages: this.vantages,
      maxBytes: defaultMaxFrameBytes(this.table.capacity, 'observations'),
      ...(this.key === undefined ? {} : { key: this.key }),
    });
  }
}
