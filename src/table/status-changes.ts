import { Status } from './layout.js';

/** What a status-change listener is given once a tick. */
export interface StatusChangeEvent {
  /** The tick's time, ms since the epoch. */
  readonly atMs: number;
  /** Slots whose status byte changed since the previous tick; a view valid only during the call. */
  readonly slots: Int32Array;
  /** The status table's bytes after the tick (read-only by contract). */
  readonly statuses: Uint8Array;
}

export type StatusChangeListener = (event: StatusChangeEvent) => void;

/**
 * Which slots changed status, found once a tick by comparing the whole
 * status table with a copy of the previous one: the same C-byte scan at 0%
 * and 100% failure, never an event per change. Keeps, per slot, when it last
 * changed (for /status), and hands the changed slots to listeners — the way
 * an embedder is told statuses changed.
 */
export class StatusChanges {
  private readonly previous: Uint8Array;
  private readonly changed: Int32Array;
  /** Per slot: ms since the epoch of the tick that last changed it; 0 never. */
  readonly changedAtMs: Float64Array;
  private readonly listeners = new Set<StatusChangeListener>();
  /** Status changes seen since start, over all slots. */
  total = 0;
  /** Listener calls that threw. */
  listenerErrors = 0;
  /** Ticks compared. */
  ticks = 0;
  /** Time of the last tick compared, ms since the epoch; 0 before the first. */
  lastAtMs = 0;

  constructor(capacity: number) {
    this.previous = new Uint8Array(capacity).fill(Status.UNKNOWN);
    this.changed = new Int32Array(capacity);
    this.changedAtMs = new Float64Array(capacity);
  }

  /** Compares `statuses` with the previous tick's copy; returns how many slots changed. */
  update(statuses: Uint8Array, nowMs: number): number {
    const prev = this.previous;
    const changed = this.changed;
    const at = this.changedAtMs;
    let n = 0;
    for (let s = 0; s < prev.length; s++) {
      const v = statuses[s] as number;
      if (v !== prev[s]) {
        prev[s] = v;
        at[s] = nowMs;
        changed[n++] = s;
      }
    }
    this.total += n;
    this.ticks += 1;
    this.lastAtMs = nowMs;
    if (n > 0 && this.listeners.size > 0) {
      const event: StatusChangeEvent = { atMs: nowMs, slots: changed.subarray(0, n), statuses };
      for (const l of this.listeners) {
        // A listener's bug must not stop the tick that calls it: counted, not thrown.
        try {
          l(event);
        } catch {
          this.listenerErrors += 1;
        }
      }
    }
    return n;
  }

  /** Calls `listener` after every tick that changed at least one status; returns a function that removes it. */
  subscribe(listener: StatusChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
