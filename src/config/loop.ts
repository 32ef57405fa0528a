import { ConfigError, UrndError } from '../errors.js';
import { compileConfig } from './compile.js';
import { loadConfig } from './load.js';
import type { Plan } from './plan.js';

/** Options of a ConfigLoop. */
export interface ConfigLoopOptions {
  /** How often the whole document is fetched and applied, ms. Default 5000. */
  intervalMs?: number;
  /** Per-fetch time limit for a URL, ms. Default: the interval. */
  fetchTimeoutMs?: number;
  /** Called with every good plan, changed or not, in order. Must not throw. */
  onApply: (plan: Plan, changed: boolean) => void | Promise<void>;
  /** Called when a pass is rejected; the last good plan stays. */
  onReject?: (error: UrndError) => void;
}

/** Counters of a ConfigLoop. */
export interface ConfigLoopStats {
  readonly passes: number;
  readonly applied: number;
  readonly rejected: number;
  readonly lastGoodVersion: string;
  readonly lastGoodAtMs: number;
  readonly lastError: string | null;
}

/**
 * The configuration loop: every interval, fetch the WHOLE document from a
 * file or http(s) URL, validate and compile it, and apply it in full — even
 * when it has not changed, so a missed or corrupted copy heals on the next
 * pass. A document that can't be read, parsed or validated (or that changes
 * what a running cell can't change: its name or capacity) is rejected whole
 * and the last good plan stays; there is no other mode and no backoff.
 */
export class ConfigLoop {
  readonly source: string;
  private readonly intervalMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly onApply: ConfigLoopOptions['onApply'];
  private readonly onReject: (error: UrndError) => void;
  private timer: NodeJS.Timeout | null = null;
  private current: Plan | null = null;
  private running: Promise<void> | null = null;
  private counters = { passes: 0, applied: 0, rejected: 0, lastGoodAtMs: 0, lastError: null as string | null };

  constructor(source: string, options: ConfigLoopOptions) {
    this.source = source;
    this.intervalMs = options.intervalMs ?? 5000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? this.intervalMs;
    this.onApply = options.onApply;
    this.onReject = options.onReject ?? (() => {});
  }

  /** The last good plan (null before the first). */
  get plan(): Plan | null {
    return this.current;
  }

  /**
   * Loads the first document — which must be good: there is no last good
   * plan to fall back on yet — applies it, then starts the loop.
   */
  async start(): Promise<Plan> {
    const plan = compileConfig(await loadConfig(this.source, this.fetchTimeoutMs));
    this.current = plan;
    this.counters.passes += 1;
    this.counters.applied += 1;
    this.counters.lastGoodAtMs = Date.now();
    await this.onApply(plan, true);
    this.timer = setInterval(() => {
      // One pass at a time: a slow fetch skips a beat rather than piling up.
      if (this.running === null) this.running = this.pass().finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
    return plan;
  }

  /** One fetch-validate-apply pass; exposed so tests and tools can force one. */
  async pass(): Promise<void> {
    this.counters.passes += 1;
    let plan: Plan;
    try {
      plan = compileConfig(await loadConfig(this.source, this.fetchTimeoutMs));
      const last = this.current;
      if (last !== null && plan.cell.capacity !== last.cell.capacity) {
        throw new ConfigError('URND_ERR_CONFIG_INVALID', [{ path: 'cell.capacity', message: `${plan.cell.capacity} differs from the running cell's ${last.cell.capacity}: a capacity change needs a restart` }]);
      }
      if (last !== null && plan.cell.name !== last.cell.name) {
        throw new ConfigError('URND_ERR_CONFIG_INVALID', [{ path: 'cell.name', message: `"${plan.cell.name}" differs from the running cell's "${last.cell.name}": a cell is renamed by a restart` }]);
      }
    } catch (err) {
      const e = err instanceof UrndError ? err : new UrndError('URND_ERR_CONFIG_READ', (err as Error).message, { cause: err });
      this.counters.rejected += 1;
      this.counters.lastError = e.message;
      this.onReject(e);
      return;
    }
    const changed = this.current === null || plan.version !== this.current.version;
    this.current = plan;
    this.counters.applied += 1;
    this.counters.lastGoodAtMs = Date.now();
    this.counters.lastError = null;
    await this.onApply(plan, changed);
  }

  /** A pass now (SIGHUP), after the one under way if any: passes never overlap, so they apply in order. */
  async passNow(): Promise<void> {
    while (this.running !== null) await this.running;
    this.running = this.pass().finally(() => (this.running = null));
    await this.running;
  }

  stats(): ConfigLoopStats {
    return { ...this.counters, lastGoodVersion: this.current?.version ?? '' };
  }

  /** Stops the loop; waits for a pass under way. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running;
  }
}
