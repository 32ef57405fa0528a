/** What every role process shares: the fixed-period timer, the status line prefix, and the wait for a signal. */
import { Status } from '../table/layout.js';
import type { Plan } from '../config/plan.js';
import type { StatusTable } from '../table/status-table.js';

/**
 * A frames listener closes a connection that has not completed a whole
 * frame in this many ticks (`aggregator.tick` of the config applied now): a
 * genuine sender completes one every tick, an idle or trickling one never does.
 */
export const FRAME_TIMEOUT_TICKS = 3;

/** A fixed-period timer (no catch-up, no backoff) whose period a config reload may change. */
export class Ticker {
  private timer: NodeJS.Timeout;
  private period: number;

  constructor(
    private readonly fn: () => void,
    periodMs: number,
  ) {
    this.period = periodMs;
    this.timer = setInterval(fn, periodMs);
  }

  get periodMs(): number {
    return this.period;
  }

  /** A new period, from now on. */
  setPeriod(ms: number): void {
    if (ms === this.period) return;
    clearInterval(this.timer);
    this.period = ms;
    this.timer = setInterval(this.fn, ms);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** `[  12s]`: seconds since `startedMs`, as every status line starts. */
export function uptime(startedMs: number): string {
  return `[${((Date.now() - startedMs) / 1000).toFixed(0).padStart(4)}s]`;
}

/** Statuses of the plan's checks (used slots only) as the table holds them now. */
export function countChecks(plan: Plan, table: StatusTable): { healthy: number; unhealthy: number; unknown: number } {
  let healthy = 0;
  let unhealthy = 0;
  let unknown = 0;
  for (const c of plan.checks) {
    const s = table.statuses[c.slot];
    if (s === Status.HEALTHY) healthy++;
    else if (s === Status.UNHEALTHY) unhealthy++;
    else unknown++;
  }
  return { healthy, unhealthy, unknown };
}

/** `healthy 3  unhealthy 1  unknown 0`. */
export function formatCounts(c: { healthy: number; unhealthy: number; unknown: number }): string {
  return `healthy ${c.healthy}  unhealthy ${c.unhealthy}  unknown ${c.unknown}`;
}

/**
 * Resolves on SIGINT or SIGTERM (or after `durationSec` > 0), having written
 * `urnd <role>: <why>, shutting down`.
 */
export function untilStopped(role: string, durationSec: number, write: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (why: string) => {
      if (done) return;
      done = true;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      write(`urnd ${role}: ${why}, shutting down`);
      resolve();
    };
    const onInt = () => finish('SIGINT');
    const onTerm = () => finish('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (durationSec > 0) setTimeout(() => finish(`--duration ${durationSec}s reached`), durationSec * 1000).unref();
  });
}
