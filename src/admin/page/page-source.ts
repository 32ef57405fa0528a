import type { Cell } from '../../cell.js';
import { LatenessWindow } from '../../check/lateness-window.js';
import type { Plan } from '../../config/plan.js';
import type { AdminRole } from '../admin.js';
import type { TableHeader } from './table-frame.js';
import { hash32 } from './table-frame.js';

/**
 * What the live page reads from a process that holds a status table. Every
 * member reads what the process already keeps; nothing here is computed per
 * health state.
 */
export interface PageSource {
  readonly role: AdminRole;
  plan(): Plan;
  /** The status table this process serves or computes (capacity bytes). */
  statuses(): Uint8Array;
  /** The /table header fields now. */
  header(): TableHeader;
  /** Per slot, ms since the epoch of the last change seen (0: never), where kept. */
  changedAtMs(): Float64Array | null;
  /** Each vantage point's verdict of a slot, where this process votes. */
  vantages(): { readonly count: number; verdict(vantage: number, slot: number): number } | null;
  /** Why a slot's last probe failed, where the process knows. */
  lastFailure?(slot: number): string | null;
}

/** The page source of `urnd serve`: the cell's own table, ticks and probes. */
export function servePageSource(cell: Cell): PageSource {
  // Its own window, so the page's "last second" does not steal the status line's.
  const lateness = new LatenessWindow(cell.checkers);
  let latenessAt = 0;
  let latenessP99 = 0;
  let hashOf = '';
  let hash = 0;
  return {
    role: 'serve',
    plan: () => cell.plan,
    statuses: () => cell.statusTable.statuses,
    header() {
      const now = Date.now();
      // Several open pages share one sample a second rather than splitting the window.
      if (now - latenessAt >= 900) {
        latenessP99 = lateness.sample().p99Ms;
        latenessAt = now;
      }
      const plan = cell.plan;
      if (plan.version !== hashOf) {
        hashOf = plan.version;
        hash = hash32(plan.version);
      }
      const ticks = cell.aggregator.stats.ticks;
      return {
        TICKS: ticks,
        TICK_MS: cell.aggregator.stats.tickMs,
        LATENESS_P99_MS: latenessP99,
        TABLE_AGE_SEC: ticks === 0 ? -1 : (now - cell.changes.lastAtMs) / 1000,
        EPOCH: -1,
        PLAN_HASH: hash,
        CHANGES_TOTAL: cell.changes.total,
      };
    },
    changedAtMs: () => cell.changes.changedAtMs,
    vantages: () => ({ count: cell.aggregator.vantages, verdict: (v, s) => cell.aggregator.verdict(v, s) }),
  };
}
