import { countsPercentile, countsTotal, subtractCounts } from '../metrics/shared-histogram.js';
import type { CheckerPool } from './checker-pool.js';

/**
 * Probe start lateness over a moving window, for status lines: each call
 * reads the pool's shared lateness histogram and reports on the probes
 * started since the previous call. On a fixed schedule it stays at a few
 * ms (3–8 ms with 2,000 checks / 2 s on the project's 2-core machine),
 * somewhat higher while many probes hang (their garbage collection); a
 * steady rise says the checker threads are short of CPU for the cell's size.
 */
export class LatenessWindow {
  private mark: Float64Array;

  constructor(private readonly pool: CheckerPool) {
    this.mark = pool.lateness();
  }

  /** p99 start lateness, ms, and probes started, since the last call. */
  sample(): { p99Ms: number; probes: number } {
    const now = this.pool.lateness();
    const window = subtractCounts(now, this.mark);
    this.mark = now;
    return { p99Ms: countsPercentile(window, 99) / 1000, probes: countsTotal(window) };
  }
}
