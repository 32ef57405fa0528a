import type { Plan } from '../../src/config/plan.js';
import { FrameListener } from '../../src/snapshot/index.js';
import type { ChildStats } from '../propagation-messages.js';
import type { ResolverSide } from '../propagation-child.js';
import { ExclusionWatch, type AnswersOf } from '../propagation-watch.js';
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
export class BaselineResolverSide implements ResolverSide {
  readonly records: EventDrivenRecords;
  private listener: FrameListener | null = null;
  private current: ExclusionWatch | null = null;
  private lastSeq = 0;
  private readonly counters: ChildStats = { messages: 0, applied: 0, gaps: 0, rejected: 0, maxApplyMs: 0, heapUsedMiB: 0 };
  private readonly answersOf: AnswersOf;
  private readonly scratch = new Int32Array(128);

  constructor(
    private readonly plan: Plan,
    private readonly done: (id: number, at: number) => void,
  ) {
    this.records = new EventDrivenRecords(plan);
    this.answersOf = (set, out) => this.records.answersInto(set, out);
  }

  async listen(): Promise<number> {
    this.listener = await FrameListener.listen({ host: '127.0.0.1', port: 0, maxBytes: MAX_EVENT_BYTES }, (bytes) => this.onMessage(bytes));
    return this.listener.address.port;
  }

  /** One event: decode, sequence check, apply; then the watch, for the sets it touched. Public for tests. */
  onMessage(bytes: Uint8Array): void {
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

  watch(id: number, failed: ArrayLike<number>, sets: ArrayLike<number>): void {
    const w = new ExclusionWatch(this.plan, id, failed, sets);
    this.current = w;
    if (w.evaluateAll(this.answersOf) === 0) this.done(id, wallNow());
  }

  sample(sets: readonly number[]): number[][] {
    return sets.map((set) => {
      const n = this.answersOf(set, this.scratch);
      return Array.from(this.scratch.subarray(0, Math.max(0, n))).sort((a, b) => a - b);
    });
  }

  stats(): ChildStats {
    return { ...this.counters, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }
}
