import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import { Aggregator } from '../src/aggregate/aggregator.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';
import { Result, Status } from '../src/table/layout.js';
import { packObservation } from '../src/table/observation-word.js';

function setup(vantages: number) {
  const plan = compileConfig({
    cell: { name: 'f', capacity: 8 },
    checks: [{ id: 'c0', slot: 0, type: 'tcp', host: '127.0.0.1', port: 9, failureThreshold: 2 }],
    zones: [],
    records: [],
  });
  const obs = ObservationTable.create(8, vantages);
  const status = StatusTable.create(8);
  return { obs, status, agg: new Aggregator(plan, obs, status) };
}

/** Aggregator.setReporting: a silent vantage's verdicts stand, and vote only where no reporting vantage has observed the slot. */
describe('a silent vantage keeps its last verdicts', () => {
  it('with others reporting, only they vote', () => {
    const { obs, status, agg } = setup(3);
    // vantage 0 healthy, 1 and 2 unhealthy: 1/3 > 18% → healthy
    obs.store(0, 0, packObservation(Result.SUCCESS, 3, 10));
    obs.store(1, 0, packObservation(Result.FAILURE, 3, 10));
    obs.store(2, 0, packObservation(Result.FAILURE, 3, 10));
    agg.tick(1);
    expect(status.get(0)).toBe(Status.HEALTHY);
    // vantage 0 goes silent: its verdict is kept but 1 and 2 decide → 0/2 healthy
    agg.setReporting(0, false);
    agg.tick(2);
    expect(agg.verdict(0, 0)).toBe(Status.HEALTHY);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    // it reports again
    agg.setReporting(0, true);
    agg.tick(3);
    expect(status.get(0)).toBe(Status.HEALTHY);
    expect(() => agg.setReporting(3, false)).toThrow(/vantage 3/);
  });

  it('with every vantage silent, the last verdicts stand: never unknown', () => {
    const { obs, status, agg } = setup(3);
    for (let v = 0; v < 3; v++) obs.store(v, 0, packObservation(Result.FAILURE, 3, 10));
    agg.tick(1);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    for (let v = 0; v < 3; v++) agg.setReporting(v, false);
    agg.tick(2);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    // Rows cleared (or never observed) change nothing either.
    obs.row(1).fill(0);
    agg.tick(3);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
  });

  it('a restarted vantage ("never observed") changes no verdict until its runs reach the threshold', () => {
    const { obs, status, agg } = setup(1);
    obs.store(0, 0, packObservation(Result.FAILURE, 2, 10));
    agg.tick(1);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    obs.store(0, 0, 0); // restarted checker: row from "never observed"
    agg.tick(2);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    obs.store(0, 0, packObservation(Result.SUCCESS, 1, 10)); // one success, threshold 2
    agg.tick(3);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    obs.store(0, 0, packObservation(Result.SUCCESS, 2, 10));
    agg.tick(4);
    expect(status.get(0)).toBe(Status.HEALTHY);
  });
});
