/** What every role process shares: the fixed-period timer, the status line prefix, and the signals (stop, lameduck, reload). */
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

/** What a role does on the signals besides stopping. */
export interface SignalHooks {
  /** SIGHUP: run a config pass now (the next timed pass still comes on schedule). */
  readonly reload?: () => Promise<void>;
  /** Seconds between the first SIGTERM/SIGINT and the stop (`--lameduck`); 0: stop at once. */
  readonly lameduckSec?: number;
  /** Called when lameduck starts: `/readyz` turns 503 while everything else keeps serving. */
  readonly onLameduck?: () => void;
}

/**
 * Resolves on SIGINT or SIGTERM (or after `durationSec` > 0), having written
 * `urnd <role>: <why>, shutting down`. With `lameduckSec` > 0 the first
 * signal starts lameduck (`onLameduck`, a line saying so) and the stop comes
 * that many seconds later; a second signal stops at once. SIGHUP runs
 * `reload` and never stops the process (Node's default for it is to exit).
 */
export function untilStopped(
  role: string,
  durationSec: number,
  write: (line: string) => void,
  hooks: SignalHooks = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let lameduck: NodeJS.Timeout | null = null;
    const finish = (why: string) => {
      if (done) return;
      done = true;
      if (lameduck !== null) clearTimeout(lameduck);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      write(`urnd ${role}: ${why}, shutting down`);
      resolve();
    };
    const onSignal = (sig: string) => {
      const sec = hooks.lameduckSec ?? 0;
      if (sec <= 0 || lameduck !== null) {
        finish(lameduck !== null ? `second ${sig} during lameduck` : sig);
        return;
      }
      hooks.onLameduck?.();
      write(`urnd ${role}: ${sig}, lameduck for ${sec} s: not ready, still serving`);
      lameduck = setTimeout(() => finish(`${sig}, lameduck of ${sec} s over`), sec * 1000);
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    const onHup = () => {
      if (hooks.reload === undefined) {
        write(`urnd ${role}: SIGHUP ignored (nothing to reload)`);
        return;
      }
      write(`urnd ${role}: SIGHUP, config pass now`);
      // A failed pass is logged and counted by the config loop itself; the process keeps its last good config.
      hooks
        .reload()
        .catch((err: unknown) =>
          write(`urnd ${role}: SIGHUP config pass failed: ${err instanceof Error ? err.message : String(err)}`),
        );
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    if (durationSec > 0) setTimeout(() => finish(`--duration ${durationSec}s reached`), durationSec * 1000).unref();
  });
}
