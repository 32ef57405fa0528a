import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import type { Plan } from '../src/config/plan.js';
import { AggregatorNode, VANTAGE_SILENCE_TICKS } from '../src/aggregate/aggregator-node.js';
import { planDiff } from '../src/node.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { Result, Status } from '../src/table/layout.js';
import { packObservation } from '../src/table/observation-word.js';

/**
 * The aggregator's rules in one process, no sockets: warm-up, silent
 * vantages, reloads. Vectors are real encoded frames from two "checkers"
 * (an encoder and a one-row table each); time is passed in.
 */
const TICK = 250;

function plan(ids: readonly string[], version = 'v1'): Plan {
  return compileConfig({
    cell: { name: 'n', capacity: 8 },
    aggregator: { tick: `${TICK}ms`, vantages: 2, warmup: '60s' },
    checks: ids.map((id, slot) => ({
      id,
      slot,
      type: 'tcp' as const,
      host: '127.0.0.1',
      port: 9,
      failureThreshold: 1,
    })),
    zones: [],
    records: [],
    ...(version === 'v1' ? {} : { configInterval: '2s' }),
  });
}

function checker(p: Plan, vantage: number) {
  const row = ObservationTable.create(8, 1);
  let encoder = new SnapshotEncoder({ cell: p.cell.name, configVersion: p.version, vantage });
  return {
    row,
    see: (slot: number, result: Result) => row.store(0, slot, packObservation(result, 1, 10)),
    vector: (now: number) => encoder.encodeObservations(row, 0, now),
    follow: (next: Plan) =>
      (encoder = new SnapshotEncoder({
        cell: next.cell.name,
        configVersion: next.version,
        vantage,
        epoch: encoder.epoch,
        firstSequence: encoder.sequence,
      })),
  };
}

describe('AggregatorNode', () => {
  it('warms up once every vantage has sent a vector; a silent vantage keeps its last verdicts', () => {
    const p = plan(['a']);
    const logs: string[] = [];
    const node = new AggregatorNode(p, ObservationTable.create(8, 2), {
      remote: [0, 1],
      startedMs: 0,
      log: (m) => logs.push(m),
    });
    const [c0, c1] = [checker(p, 0), checker(p, 1)];
    c0.see(0, Result.FAILURE);
    c1.see(0, Result.FAILURE);
    let now = 1000;
    expect(node.receiveVector(c0.vector(now), now).applied).toBe(true);
    expect(node.tick(now)).toBe(false); // vantage 1 has not reported: keep the DNS servers' last table
    expect(node.receiveVector(c1.vector(now), now).applied).toBe(true);
    expect(node.tick(now)).toBe(true);
    expect(node.status.get(0)).toBe(Status.UNHEALTHY);
    expect(node.frame(now).length).toBeGreaterThan(0);

    // Vantage 1 goes quiet; vantage 0 keeps reporting.
    for (let t = 1; t <= VANTAGE_SILENCE_TICKS + 2; t++) {
      now += TICK;
      node.receiveVector(c0.vector(now), now);
      node.tick(now);
    }
    expect(node.aggregator.isReporting(1)).toBe(false);
    expect(node.aggregator.isReporting(0)).toBe(true);
    expect(logs.filter((l) => /vantage 1 silent/.test(l))).toHaveLength(1);
    expect(node.status.get(0)).toBe(Status.UNHEALTHY);

    // Then vantage 0 too: every vantage silent, the last verdicts stand (never unknown).
    for (let t = 1; t <= VANTAGE_SILENCE_TICKS + 2; t++) {
      now += TICK;
      node.tick(now);
    }
    expect(node.aggregator.isReporting(0)).toBe(false);
    expect(node.status.get(0)).toBe(Status.UNHEALTHY);

    // Vantage 1 restarts: a row of "never observed" changes nothing; its results do.
    const again = checker(p, 1);
    now += TICK;
    node.receiveVector(again.vector(now), now);
    node.tick(now);
    expect(node.aggregator.isReporting(1)).toBe(true);
    expect(logs.some((l) => /vantage 1 reporting again/.test(l))).toBe(true);
    expect(node.status.get(0)).toBe(Status.UNHEALTHY);
    again.see(0, Result.SUCCESS);
    now += TICK;
    node.receiveVector(again.vector(now), now);
    node.tick(now);
    expect(node.status.get(0)).toBe(Status.HEALTHY); // fresh vantage 1 decides over silent vantage 0
  });

  it('a reload clears the changed slot, and again for a vector of the old config version', () => {
    const p1 = plan(['a', 'b']);
    const node = new AggregatorNode(p1, ObservationTable.create(8, 2), { remote: [0, 1], startedMs: 0 });
    const c0 = checker(p1, 0);
    c0.see(0, Result.SUCCESS);
    c0.see(1, Result.FAILURE);
    node.receiveVector(c0.vector(1000), 1000);
    node.tick(1000);
    expect([node.status.get(0), node.status.get(1)]).toEqual([Status.HEALTHY, Status.UNHEALTHY]);

    // Slot 1 gets a new check; slot 0 keeps its check.
    const p2 = plan(['a', 'c'], 'v2');
    expect(p2.version).not.toBe(p1.version);
    const diff = planDiff(p1, p2, undefined);
    expect(diff.changedSlots).toEqual([1]);
    node.applyPlan(diff);
    expect(node.observations.load(0, 1)).toBe(0);
    // The checker has not reloaded yet: its vector still carries the old check's word for slot 1.
    node.receiveVector(c0.vector(1250), 1250);
    expect(node.observations.load(0, 1)).toBe(0);
    expect(node.observations.load(0, 0)).not.toBe(0);
    node.tick(1250);
    expect([node.status.get(0), node.status.get(1)]).toEqual([Status.HEALTHY, Status.UNKNOWN]);
    // Once it follows the new version, its words for slot 1 count.
    c0.follow(p2);
    node.receiveVector(c0.vector(1500), 1500);
    node.tick(1500);
    expect(node.status.get(1)).toBe(Status.UNHEALTHY);
  });
});
