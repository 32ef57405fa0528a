import { monotonicMs } from '../src/metrics/clock.js';

/**
 * The schedule of a fixed-rate load loop: query i is due at t0 + i × period.
 *
 * A clock read allocates nothing only where V8 inlines `process.hrtime()`
 * (244 bytes of bytecode) into it, so the array it returns can be optimized
 * away; V8 inlines at most 920 bytes into one function. These methods take
 * the query's index (a small integer) and return nothing or an integer,
 * never a double, which a call left out of line would box: inlined into the
 * loop they cost little of its budget, and left out of line they are
 * compiled on their own, with the clock inlined into them. Being called per
 * query is what keeps them so on Node 22 and 24 too: a load loop is one long
 * call that runs on-stack-replacement code, where a clock read straight in
 * its body keeps hrtime's array (32 bytes a read).
 */
export class PacedClock {
  private readonly t0: number;
  /** Time between intended sends, ms. */
  readonly periodMs: number;

  constructor(ratePerSec: number) {
    this.t0 = monotonicMs();
    this.periodMs = 1000 / ratePerSec;
  }

  /** Spins until query `i`'s intended send time. */
  waitFor(i: number): void {
    const intended = this.t0 + i * this.periodMs;
    while (monotonicMs() < intended);
  }

  /** Nanoseconds from query `i`'s intended send time to now, at least 1. */
  lateNs(i: number): number {
    return Math.max(1, Math.round((monotonicMs() - (this.t0 + i * this.periodMs)) * 1e6));
  }
}
