import { compileConfig } from '../../src/config/index.js';
import type { Plan } from '../../src/config/plan.js';
import { Aggregator, type AggregatorOptions, type AggregatorPlan } from '../../src/aggregate/index.js';
import type { Result, Status } from '../../src/table/layout.js';
import { packObservation } from '../../src/table/observation-word.js';
import { ObservationTable } from '../../src/table/observation-table.js';
import { StatusTable } from '../../src/table/status-table.js';

export const CAPACITY = 64;

/** A compiled plan of `checks` in a 64-slot cell, zone t.test, no records. */
export function aggPlan(checks: unknown[], capacity = CAPACITY): Plan {
  return compileConfig({ cell: { name: 'agg', capacity }, checks, zones: [{ origin: 't.test' }], records: [] });
}

/** A tcp check; `extra` may set failureThreshold, inverted, disabled. */
export function tcp(id: string, slot: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, slot, type: 'tcp', host: '127.0.0.1', port: 9, ...extra };
}

/** A calculated check over `children`. */
export function calc(
  id: string,
  slot: number,
  children: string[],
  healthyThreshold: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, slot, type: 'calculated', children, healthyThreshold, ...extra };
}

export interface AggCell {
  plan: AggregatorPlan;
  observations: ObservationTable;
  status: StatusTable;
  aggregator: Aggregator;
  /** One probe result from vantage `v` (continues or restarts the run, as a checker does). */
  probe(slot: number, result: Result, v?: number): void;
  /** Stores a word with this result and run directly. */
  word(slot: number, result: Result, run: number, v?: number): void;
  /** One tick, then the slot's status. */
  tickStatus(slot: number): Status;
  at(slot: number): Status;
}

export function aggCell(plan: AggregatorPlan, vantages = 1, options: AggregatorOptions = {}): AggCell {
  const capacity = plan.cell.capacity;
  const observations = ObservationTable.create(capacity, vantages);
  const status = StatusTable.create(capacity);
  const aggregator = new Aggregator(plan, observations, status, options);
  return {
    plan,
    observations,
    status,
    aggregator,
    probe: (slot, result, v = 0) => void observations.record(v, slot, result, 1000),
    word: (slot, result, run, v = 0) => observations.store(v, slot, packObservation(result, run, 1000)),
    tickStatus: (slot) => {
      aggregator.tick();
      return status.get(slot);
    },
    at: (slot) => status.get(slot),
  };
}
