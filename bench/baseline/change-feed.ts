import type { Plan } from '../../src/config/plan.js';
import type { TickStats } from '../../src/aggregate/aggregator.js';
import type { StatusTable } from '../../src/table/status-table.js';
import { encodeEventMessage, type EventSink } from './event-stream.js';

/**
 * The sending side of the event-driven baseline: edge-triggered. After each
 * aggregator tick — the same Aggregator, the same tick, as the engine — it
 * finds the checks whose status changed (only when the tick counted a
 * change: a calm tick costs nothing more) and puts one event per change on
 * a queue. A dispatcher, on the next turn of the event loop, drains the
 * queue in order: each event is encoded as its own framed msgpack message
 * and written to every subscriber, `batch` messages per socket write.
 *
 *   tick ─► changes? ─► diff status bytes vs the last sent ─► queue ─(setImmediate)─► dispatcher ─► EventSink (TCP)
 *
 * Nothing is coalesced: a check that flips twice before the dispatcher runs
 * sends both events (it cannot here: one diff per tick).
 */
export interface ChangeFeedOptions {
  /** Messages per socket write. Default 256. */
  batch?: number;
}

export class ChangeFeed {
  /** Events queued and sent, batches written, and the longest queue seen. */
  queued = 0;
  sent = 0;
  batches = 0;
  maxQueue = 0;
  /** Duration of the last drain (encode + write), ms. */
  lastDrainMs = 0;
  private readonly idOfSlot: (string | null)[];
  private readonly last: Uint8Array;
  private readonly statuses: Uint8Array;
  private readonly batch: number;
  private queueSlots: number[] = [];
  private queueStatus: number[] = [];
  private seq = 0;
  private scheduled = false;

  constructor(
    plan: Plan,
    table: StatusTable,
    private readonly sink: EventSink,
    options: ChangeFeedOptions = {},
  ) {
    this.idOfSlot = Array.from({ length: plan.cell.capacity }, () => null);
    for (const c of plan.checks) this.idOfSlot[c.slot] = c.id;
    this.statuses = table.statuses;
    // What the subscribers were last told: nothing yet, which they take as unknown (0), the table's own start.
    this.last = new Uint8Array(plan.cell.capacity);
    this.batch = options.batch ?? 256;
  }

  /** Call right after each `aggregator.tick()` with what it returned; returns the events queued. */
  afterTick(stats: Readonly<TickStats>): number {
    if (stats.changes === 0) return 0;
    const cur = this.statuses;
    const last = this.last;
    let n = 0;
    for (let s = 0; s < cur.length; s++) {
      const v = cur[s] as number;
      if (v === last[s]) continue;
      last[s] = v;
      if (this.idOfSlot[s] === null) continue; // a dummy slot has no check to tell anyone about
      this.queueSlots.push(s);
      this.queueStatus.push(v);
      n++;
    }
    this.queued += n;
    if (this.queueSlots.length > this.maxQueue) this.maxQueue = this.queueSlots.length;
    if (n > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
    return n;
  }

  /** Sends everything queued, in order. Called by the feed itself; public for tests. */
  drain(): void {
    this.scheduled = false;
    if (this.queueSlots.length === 0) return;
    const started = performance.now();
    const slots = this.queueSlots;
    const statuses = this.queueStatus;
    this.queueSlots = [];
    this.queueStatus = [];
    const batch: Buffer[] = [];
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k] as number;
      batch.push(
        encodeEventMessage({ seq: ++this.seq, check: this.idOfSlot[slot] as string, status: statuses[k] as number }),
      );
      if (batch.length === this.batch) {
        this.sink.send(batch);
        this.batches++;
        batch.length = 0;
      }
    }
    if (batch.length > 0) {
      this.sink.send(batch);
      this.batches++;
    }
    this.sent += slots.length;
    this.lastDrainMs = performance.now() - started;
  }
}
