/**
 * How late this thread's event loop is running, measured by the drift of a
 * short interval timer. A DNS answer that waited behind a stalled loop is
 * stale by the time it is sent; the server sheds queries while the lag is
 * over its bound instead of working through a backlog nobody waits for.
 *
 * Cost: one timer wake-up every `intervalMs` (100 a second at 10 ms), and
 * two comparisons per question asked (`over`).
 */
export class LoopLag {
  readonly intervalMs: number;
  readonly boundMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lastTickAt = 0;
  private lastDriftMs = 0;
  private maxDriftMs = 0;

  constructor(intervalMs = 10, boundMs = 200) {
    this.intervalMs = intervalMs;
    this.boundMs = boundMs;
  }

  start(): void {
    if (this.timer !== null) return;
    this.lastTickAt = performance.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * The lag now, ms: the last tick's drift, or how overdue the next tick is
   * if that is larger (a loop stalled right now has not ticked since).
   */
  lagMs(now: number = performance.now()): number {
    return Math.max(this.lastDriftMs, now - this.lastTickAt - this.intervalMs, 0);
  }

  /** Largest drift seen since start, ms. */
  get maxLagMs(): number {
    return this.maxDriftMs;
  }

  /**
   * Is the loop more than `boundMs` behind? True from the moment the timer
   * is overdue by the bound until the first tick that comes on time again.
   */
  over(now: number): boolean {
    return this.lastDriftMs > this.boundMs || now - this.lastTickAt > this.boundMs + this.intervalMs;
  }

  private tick(): void {
    const now = performance.now();
    const drift = now - this.lastTickAt - this.intervalMs;
    this.lastDriftMs = drift > 0 ? drift : 0;
    if (this.lastDriftMs > this.maxDriftMs) this.maxDriftMs = this.lastDriftMs;
    this.lastTickAt = now;
  }
}
