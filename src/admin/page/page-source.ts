import type { Aggregator } from '../../aggregate/aggregator.js';
import type { Cell } from '../../cell.js';
import type { StatusIntake } from '../../roles/receivers.js';
import type { StatusChanges } from '../../table/status-changes.js';
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
  /** The reason word (table/failure-reason.ts) of a slot's last failure, where the process aggregates; 0 none. */
  lastFailure?(slot: number): number;
}

/** The page source of `urnd serve`: the cell's own table, ticks and probes. */
export function servePageSource(cell: Cell): PageSource {
  // Its own window, so the page's "last second" does not steal the status line's.
  const lateness = new LatenessWindow(cell.checkers);
  let latenessAt = 0;
  let latenessP99 = 0;
  const hashOf = planHasher();
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
      const ticks = cell.aggregator.stats.ticks;
      return {
        TICKS: ticks,
        TICK_MS: cell.aggregator.stats.tickMs,
        LATENESS_P99_MS: latenessP99,
        TABLE_AGE_SEC: ticks === 0 ? -1 : (now - cell.changes.lastAtMs) / 1000,
        EPOCH: -1,
        PLAN_HASH: hashOf(cell.plan),
        CHANGES_TOTAL: cell.changes.total,
      };
    },
    changedAtMs: () => cell.changes.changedAtMs,
    vantages: () => ({ count: cell.aggregator.vantages, verdict: (v, s) => cell.aggregator.verdict(v, s) }),
    lastFailure: (slot) => cell.aggregator.lastFailure(slot),
  };
}

/** A cached 32-bit hash of the current plan's version. */
function planHasher(): (plan: Plan) => number {
  let of = '';
  let hash = 0;
  return (plan) => {
    if (plan.version !== of) {
      of = plan.version;
      hash = hash32(plan.version);
    }
    return hash;
  };
}

/** The page source of `urnd aggregator`: the table it computes, ticks, each vantage's verdict. */
export function aggregatorPageSource(p: {
  plan: () => Plan;
  aggregator: Aggregator;
  statuses: Uint8Array;
  changes: StatusChanges;
}): PageSource {
  const hashOf = planHasher();
  return {
    role: 'aggregator',
    plan: p.plan,
    statuses: () => p.statuses,
    header() {
      const ticks = p.aggregator.stats.ticks;
      return {
        TICKS: ticks,
        TICK_MS: p.aggregator.stats.tickMs,
        LATENESS_P99_MS: -1,
        TABLE_AGE_SEC: ticks === 0 ? -1 : (Date.now() - p.changes.lastAtMs) / 1000,
        EPOCH: -1,
        PLAN_HASH: hashOf(p.plan()),
        CHANGES_TOTAL: p.changes.total,
      };
    },
    changedAtMs: () => p.changes.changedAtMs,
    vantages: () => ({ count: p.aggregator.vantages, verdict: (v, s) => p.aggregator.verdict(v, s) }),
    lastFailure: (slot) => p.aggregator.lastFailure(slot),
  };
}

/** The page source of `urnd dns`: the table as the last status frame left it, its age and the aggregator epoch it follows. */
export function dnsPageSource(p: { plan: () => Plan; intake: StatusIntake; changes: StatusChanges }): PageSource {
  const hashOf = planHasher();
  return {
    role: 'dns',
    plan: p.plan,
    statuses: () => p.intake.table.statuses,
    header() {
      const s = p.intake.staleness();
      return {
        TICKS: s.lastSequence ?? -1,
        TICK_MS: -1,
        LATENESS_P99_MS: -1,
        TABLE_AGE_SEC: s.secondsSinceLastGood ?? -1,
        EPOCH: s.epoch ?? -1,
        PLAN_HASH: hashOf(p.plan()),
        CHANGES_TOTAL: p.changes.total,
      };
    },
    changedAtMs: () => p.changes.changedAtMs,
    vantages: () => null,
  };
}
