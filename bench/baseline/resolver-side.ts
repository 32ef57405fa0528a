import type { Plan } from '../../src/config/plan.js';
import { WatchedResolverSide } from '../propagation-watch.js';
import { wallNow } from '../propagation-plan.js';
import { EventDrivenRecords } from './records.js';
import { decodeEvent } from './event-stream.js';

/** Longest event message accepted (an event is a few dozen bytes). */
const MAX_EVENT_BYTES = 4096;

/**
 * A resolver process of the event-driven baseline: the engine's own
 * FrameListener splits the stream into messages; each is decoded, checked
 * for its place in the sequence, and applied to the records (reverse index,
 * pool rebuild: records.ts); queries pick from the pools.
 *
 * The watch is asked, after each event, only about the sets that event
 * rebuilt (the others cannot have changed) — the cheapest honest check, so
 * that watching does not slow the baseline down. The time reported is taken
 * when the last set became right.
 */
export class BaselineResolverSide extends WatchedResolverSide {
  readonly records: EventDrivenRecords;
  private lastSeq = 0;

  constructor(plan: Plan, done: (id: number, at: number) => void) {
    const records = new EventDrivenRecords(plan);
    super(plan, done, (set, out) => records.answersInto(set, out), MAX_EVENT_BYTES);
    this.records = records;
  }

  /** One event: decode, sequence check, apply; then the watch, for the sets it touched. Public for tests. */
  override onMessage(bytes: Uint8Array): void {
    this.counters.messages++;
    const event = decodeEvent(bytes);
    if (event === null) {
      this.counters.rejected++;
      return;
    }
    if (event.seq !== this.lastSeq + 1) this.counters.gaps++;
    this.lastSeq = event.seq;
    const touched = this.records.apply(event.check, event.status);
    if (touched < 0) {
      this.counters.rejected++;
      return;
    }
    this.counters.applied++;
    const w = this.current;
    if (w === null || w.done) return;
    const sets = this.records.touched;
    for (let k = 0; k < touched; k++) w.evaluateSet(sets[k] as number, this.answersOf);
    if (w.done) this.done(w.id, wallNow());
  }
}
