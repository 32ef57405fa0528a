/**
 * Receivers that follow the config: a SnapshotReceiver (status frames, DNS
 * side) or an ObservationReceiver (vectors, aggregator side) that is built
 * again when the frame key or the tick changes, with its counters carried
 * over, so the status lines count every frame since start.
 */
import type { Plan } from '../config/plan.js';
import { defaultMaxFrameBytes } from '../snapshot/frame.js';
import { CLOSE_REASONS, type FrameListenerStats } from '../snapshot/frame-listener.js';
import {
  ObservationReceiver,
  SnapshotReceiver,
  type ReceiveOutcome,
  type ReceiverCounters,
  type Staleness,
} from '../snapshot/receiver.js';
import { REJECT_REASONS, type RejectReason } from '../snapshot/snapshot-error.js';
import type { ObservationTable } from '../table/observation-table.js';
import type { StatusTable } from '../table/status-table.js';
import { sameKey } from '../config/frame-key.js';

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

/**
 * What the frames listener did to its connections, for a status line:
 * `, cut mid-frame 1, connections closed 7 (idle 3, oversized 4)`, only the
 * parts seen (empty while nothing was cut or closed).
 */
export function formatConnections(l: FrameListenerStats): string {
  let closed = 0;
  const by: string[] = [];
  for (const r of CLOSE_REASONS) {
    closed += l.closed[r];
    if (l.closed[r] > 0) by.push(`${r} ${l.closed[r]}`);
  }
  return `${l.partial > 0 ? `, cut mid-frame ${l.partial}` : ''}${closed > 0 ? `, connections closed ${closed} (${by.join(', ')})` : ''}`;
}

/** What a receiver is built from; it is built again when any of it changes. */
interface ReceiverSettings {
  readonly cell: string;
  readonly tickMs: number;
  readonly key: Uint8Array | undefined;
}

/**
 * The current receiver, the one it replaced (whose staleness stands until
 * the new one applies a frame), and the counters of every retired one.
 */
class FollowingReceiver<R extends { readonly counters: ReceiverCounters }> {
  current: R;
  previous: R | null = null;
  private retired: ReceiverCounters = zero();
  private settings: ReceiverSettings;

  constructor(
    plan: Plan,
    key: Uint8Array | undefined,
    private readonly make: (s: ReceiverSettings) => R,
  ) {
    this.settings = { cell: plan.cell.name, tickMs: plan.aggregator.tickMs, key };
    this.current = make(this.settings);
  }

  /** A new plan and key: the receiver is rebuilt if the key, the tick or the cell changed. */
  apply(plan: Plan, key: Uint8Array | undefined): void {
    const s = this.settings;
    if (sameKey(key, s.key) && plan.aggregator.tickMs === s.tickMs && plan.cell.name === s.cell) return;
    this.retired = addCounters(this.retired, this.current.counters);
    this.previous = this.current;
    this.settings = { cell: plan.cell.name, tickMs: plan.aggregator.tickMs, key };
    this.current = this.make(this.settings);
  }

  get counters(): ReceiverCounters {
    return addCounters(this.retired, this.current.counters);
  }
}

function receiverOptions(s: ReceiverSettings, maxBytes: number) {
  return { cell: s.cell, tickMs: s.tickMs, maxBytes, ...(s.key === undefined ? {} : { key: s.key }) };
}

/** The status frames a DNS process applies to its StatusTable. */
export class StatusIntake {
  readonly table: StatusTable;
  private readonly receivers: FollowingReceiver<SnapshotReceiver>;
  /** The bytes of the last frame applied (a copy), for a DNS process started later. */
  private lastGood: Buffer | null = null;

  constructor(table: StatusTable, plan: Plan, key: Uint8Array | undefined) {
    this.table = table;
    const maxBytes = defaultMaxFrameBytes(table.capacity, 'status');
    this.receivers = new FollowingReceiver(plan, key, (s) => new SnapshotReceiver(table, receiverOptions(s, maxBytes)));
  }

  /** Checks and applies one frame; never throws for a bad one. */
  receive(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    const out = this.receivers.current.receive(bytes, nowMs);
    if (out.applied) this.lastGood = Buffer.from(bytes);
    return out;
  }

  /** A new plan and key: the receiver is rebuilt if the key or the tick changed. */
  apply(plan: Plan, key: Uint8Array | undefined): void {
    this.receivers.apply(plan, key);
  }

  /** How stale the table is (the previous receiver's view until the new one applies a frame). */
  staleness(nowMs: number = Date.now()): Staleness {
    const s = this.receivers.current.staleness(nowMs);
    const prev = this.receivers.previous;
    return s.secondsSinceLastGood === null && prev !== null ? prev.staleness(nowMs) : s;
  }

  get counters(): ReceiverCounters {
    return this.receivers.counters;
  }

  get lastFrame(): Buffer | null {
    return this.lastGood;
  }
}

/** The observation vectors an aggregator applies to the remote rows of its ObservationTable. */
export class VectorIntake {
  readonly table: ObservationTable;
  readonly vantages: readonly number[];
  private readonly receivers: FollowingReceiver<ObservationReceiver>;

  constructor(table: ObservationTable, vantages: readonly number[], plan: Plan, key: Uint8Array | undefined) {
    this.table = table;
    this.vantages = vantages;
    const maxBytes = defaultMaxFrameBytes(table.capacity, 'observations');
    this.receivers = new FollowingReceiver(
      plan,
      key,
      (s) => new ObservationReceiver(table, { ...receiverOptions(s, maxBytes), acceptVantages: vantages }),
    );
  }

  receive(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    return this.receivers.current.receive(bytes, nowMs);
  }

  apply(plan: Plan, key: Uint8Array | undefined): void {
    this.receivers.apply(plan, key);
  }

  /** How stale one vantage's row is. */
  staleness(vantage: number, nowMs: number = Date.now()): Staleness {
    const s = this.receivers.current.staleness(vantage, nowMs);
    const prev = this.receivers.previous;
    return s.secondsSinceLastGood === null && prev !== null ? prev.staleness(vantage, nowMs) : s;
  }

  get counters(): ReceiverCounters {
    return this.receivers.counters;
  }
}
