/**
 * The timers of a fixed schedule: one per check, each armed for the check's
 * next probe time from the schedule (`probeTime`), never from when the last
 * probe ended, and re-armed first thing when it fires. No start is ever
 * before its time. How late each start
 * is, against its scheduled time, goes into a SharedHistogram. What a start
 * does is the caller's: the checker task starts a probe; the probes
 * benchmark also runs one with nothing attached, as a floor for lateness.
 */
import type { SharedHistogram } from '../metrics/shared-histogram.js';
import { nextProbeIndex, probeTime, scheduleClock, type ScheduledCheck } from './schedule.js';

/** What a FixedScheduler schedules: anything that names its check. */
export interface ScheduledEntry {
  readonly check: ScheduledCheck;
}

/** What every timer of one scheduler shares. */
interface Shared<E> {
  readonly epochMs: number;
  readonly lateness: SharedHistogram;
  readonly onDue: (entry: E) => void;
  stopped: boolean;
}

/** One entry's timer and the index of its next probe time. */
interface Armed<E extends ScheduledEntry> {
  readonly shared: Shared<E>;
  readonly entry: E;
  next: number;
  timer: NodeJS.Timeout | null;
}

export class FixedScheduler<E extends ScheduledEntry> {
  private readonly shared: Shared<E>;
  private readonly armed: Armed<E>[];

  /**
   * `onDue(entry)` runs at each of the entry's probe times, from `epochMs`
   * (ms since the epoch, `scheduleClock()`'s scale) on; how late each run
   * starts goes into `lateness`, µs.
   */
  constructor(epochMs: number, entries: readonly E[], lateness: SharedHistogram, onDue: (entry: E) => void) {
    this.shared = { epochMs, lateness, onDue, stopped: true };
    this.armed = entries.map((entry) => ({ shared: this.shared, entry, next: 0, timer: null }));
  }

  /** Arms every entry for its first probe time from now on. */
  start(): void {
    this.shared.stopped = false;
    const now = scheduleClock();
    for (const a of this.armed) {
      a.next = nextProbeIndex(this.shared.epochMs, a.entry.check, now);
      arm(a);
    }
  }

  /** Clears every timer: nothing starts after this. */
  stop(): void {
    this.shared.stopped = true;
    for (const a of this.armed) {
      if (a.timer !== null) clearTimeout(a.timer);
      a.timer = null;
    }
  }
}

function arm<E extends ScheduledEntry>(a: Armed<E>): void {
  const wait = probeTime(a.shared.epochMs, a.entry.check, a.next) - scheduleClock();
  // Whole ms, rounded up: Node keeps one timer list per distinct wait, and
  // a fractional wait gave every timer a list, and a queue entry, of its
  // own; in whole ms nearly every re-arm waits one interval (less a little
  // lateness), so a few lists serve them all.
  a.timer = setTimeout(fire, wait > 0 ? Math.ceil(wait) : 0, a);
}

// One timer callback for every entry: no closure per timer.
function fire<E extends ScheduledEntry>(a: Armed<E>): void {
  a.timer = null;
  if (a.shared.stopped) return;
  const due = probeTime(a.shared.epochMs, a.entry.check, a.next);
  const now = scheduleClock();
  // Node's timer clock is whole ms, read at the top of a loop turn, so a
  // timer can fire a little before its time: wait out the rest, so no
  // start is ever early.
  if (now < due) {
    a.timer = setTimeout(fire, Math.ceil(due - now), a);
    return;
  }
  a.shared.lateness.record(Math.round((now - due) * 1000));
  // Arm the next start first, from the schedule, not from this one's end.
  a.next += 1;
  arm(a);
  a.shared.onDue(a.entry);
}
