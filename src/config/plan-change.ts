/**
 * What a config reload changes, worked out from two plans: which slots got a
 * new owner (so their observations must start over), and whether the probe
 * checks changed at all (so the checker workers need new tasks). Used by
 * Cell.setPlan and the checker and aggregator roles.
 */
import { SlotKind, type Endpoint, type Plan, type ProbeCheckSpec } from './plan.js';
import type { ObservationTable } from '../table/observation-table.js';
import { sameProbeCheck } from './plan-codec.js';

/** The plan's probe checks, in document order. */
export function probeChecks(plan: Pick<Plan, 'checks'>): ProbeCheckSpec[] {
  return plan.checks.filter((c): c is ProbeCheckSpec => c.kind === 'probe');
}

/**
 * Slots whose check identity differs between `prev` and `next`: the check id
 * or its kind (probe, calculated, none) changed — a check added, removed,
 * renamed, or replaced by another in the same slot. A check whose settings
 * changed but whose id and kind did not keeps its slot's observations.
 * Cost: one pass over both check lists, whatever the health state.
 */
export function changedSlots(prev: Pick<Plan, 'checks'>, next: Pick<Plan, 'checks'>): number[] {
  const before = new Map<number, string>();
  for (const c of prev.checks)
    before.set(c.slot, `${c.kind === 'probe' ? SlotKind.PROBE : SlotKind.CALCULATED}:${c.id}`);
  const out: number[] = [];
  const seen = new Set<number>();
  for (const c of next.checks) {
    seen.add(c.slot);
    if (before.get(c.slot) !== `${c.kind === 'probe' ? SlotKind.PROBE : SlotKind.CALCULATED}:${c.id}`) out.push(c.slot);
  }
  for (const slot of before.keys()) if (!seen.has(slot)) out.push(slot);
  return out.sort((a, b) => a - b);
}

/**
 * True if both plans probe exactly the same checks with the same settings, in
 * the same order: every field plan-codec.ts describes for a probe check, so a
 * new field can never be missed here.
 */
export function sameProbeChecks(a: Pick<Plan, 'checks'>, b: Pick<Plan, 'checks'>): boolean {
  const x = probeChecks(a);
  const y = probeChecks(b);
  return x.length === y.length && x.every((p, i) => sameProbeCheck(p, y[i] as ProbeCheckSpec));
}

/** Sets the observation word of each of `slots` to 0 ("never observed") in row `vantage`. */
export function clearObservations(table: ObservationTable, vantage: number, slots: readonly number[]): void {
  for (const s of slots) table.store(vantage, s, 0);
}

/** `host:port`, IPv6 hosts in brackets. */
export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** True if both lists name the same addresses in the same order. */
export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e.host === b[i]?.host && e.port === b[i]?.port);
}
