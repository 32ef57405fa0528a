/**
 * The timer of a fixed schedule: every check's next probe time, from the
 * schedule (`probeTime`) and never from when the last probe ended, in a
 * min-heap, and one Node timer armed for the earliest. When it fires, every
 * check that is due starts, in time order, each re-keyed for its next probe
 * time first. No start is ever before its time. How late each start is,
 * against its scheduled time, goes into a SharedHistogram. What a start does
 * is the caller's: the checker task starts a probe; the probes benchmark
 * also runs one with nothing attached, as a floor for lateness.
 *
 * Why one timer and not one per check: a per-check timer is a new Timeout
 * every interval that lives the whole interval, so a checker thread with
 * thousands of checks had thousands of them alive at once, and each
 * young-generation collection copied the ones made since the last. The
 * heap is two typed arrays made once; the one timer lives until the next
 * start, a millisecond or so on a busy thread.
 */
import type { SharedHistogram } from '../metrics/shared-histogram.js';
import { nextProbeIndex, probeTime, scheduleClock, type ScheduledCheck } from './schedule.js';

/** What a FixedScheduler schedules: anything that names its check. */
export interface ScheduledEntry {
  readonly check: ScheduledCheck;
}

export class FixedScheduler<E extends ScheduledEntry> {
  private readonly entries: readonly E[];
  private readonly lateness: SharedHistogram;
  private readonly onDue: (entry: E) => void;
  private readonly epochMs: number;
  /** Per entry: the index of its next probe time, and that time. */
  private readonly next: Float64Array;
  private readonly due: Float64Array;
  /** Entry indices, a binary min-heap on `due`. */
  private readonly heap: Int32Array;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  // Made once: every arm hands Node the same callback, no closure per timer.
  private readonly onTimer = (): void => this.fire();

  /**
   * `onDue(entry)` runs at each of the entry's probe times, from `epochMs`
   * (ms since the epoch, `scheduleClock()`'s scale) on; how late each run
   * starts goes into `lateness`, µs.
   */
  constructor(epochMs: number, entries: readonly E[], lateness: SharedHistogram, onDue: (entry: E) => void) {
    this.epochMs = epochMs;
    this.entries = entries.slice();
    this.lateness = lateness;
    this.onDue = onDue;
    this.next = new Float64Array(entries.length);
    this.due = new Float64Array(entries.length);
    this.heap = new Int32Array(entries.length);
  }

  /** Keys every entry to its first probe time from now on and arms the timer. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = scheduleClock();
    const n = this.entries.length;
    for (let i = 0; i < n; i++) {
      const check = (this.entries[i] as E).check;
      this.next[i] = nextProbeIndex(this.epochMs, check, now);
      this.due[i] = probeTime(this.epochMs, check, this.next[i] as number);
      this.heap[i] = i;
    }
    for (let k = (n >> 1) - 1; k >= 0; k--) this.siftDown(k);
    this.arm(now);
  }

  /** Clears the timer: nothing starts after this. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Starts every entry that is due, earliest first, then re-arms for the next. */
  private fire(): void {
    this.timer = null;
    if (this.stopped || this.heap.length === 0) return;
    // Only what is due by now starts in this turn, as Node runs only the
    // timers due when its timer phase began: an overloaded thread then
    // still reaches its sockets between turns instead of starting probes
    // for as long as more fall due. Node's timer clock is whole ms, read at
    // the top of a loop turn, so the timer can fire a little before the
    // earliest time: then nothing starts, and the timer waits out the rest.
    const turn = scheduleClock();
    let now = turn;
    while (!this.stopped && (this.due[this.heap[0] as number] as number) <= turn) {
      const i = this.heap[0] as number;
      this.lateness.record(Math.round((now - (this.due[i] as number)) * 1000));
      // Re-key first, from the schedule, not from this start's end.
      const check = (this.entries[i] as E).check;
      this.next[i] = (this.next[i] as number) + 1;
      this.due[i] = probeTime(this.epochMs, check, this.next[i] as number);
      this.siftDown(0);
      this.onDue(this.entries[i] as E);
      // Each start takes time: the next one's lateness counts it.
      now = scheduleClock();
    }
    if (!this.stopped) this.arm(now);
  }

  private arm(now: number): void {
    if (this.heap.length === 0) return;
    const wait = (this.due[this.heap[0] as number] as number) - now;
    // Whole ms, rounded up: Node's timers count in whole ms, and a wait
    // rounded down would fire before the time.
    this.timer = setTimeout(this.onTimer, wait > 0 ? Math.ceil(wait) : 0);
  }

  private siftDown(k: number): void {
    const heap = this.heap;
    const due = this.due;
    const n = heap.length;
    const item = heap[k] as number;
    const key = due[item] as number;
    for (;;) {
      const left = 2 * k + 1;
      if (left >= n) break;
      const right = left + 1;
      const child =
        right < n && (due[heap[right] as number] as number) < (due[heap[left] as number] as number) ? right : left;
      if ((due[heap[child] as number] as number) >= key) break;
      heap[k] = heap[child] as number;
      k = child;
    }
    heap[k] = item;
  }
}
