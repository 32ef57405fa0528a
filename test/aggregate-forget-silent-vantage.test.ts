import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import { Aggregator } from '../src/aggregate/aggregator.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';
import { Result, Status } from '../src/table/layout.js';
import { packObservation } from '../src/table/observation-word.js';

/** A silent vantage's votes stop counting once forgotten; they count again when it reports. */
describe('Aggregator.forgetVantage', () => {
  it('a dead checker means fewer votes, not frozen ones', () => {
    const plan = compileConfig({ cell: { name: 'f', capacity: 8 }, checks: [{ id: 'c0', slot: 0, type: 'tcp', host: '127.0.0.1', port: 9, failureThreshold: 1 }], zones: [], records: [] });
    const obs = ObservationTable.create(8, 3);
    const status = StatusTable.create(8);
    const agg = new Aggregator(plan, obs, status);
    // vantage 0 says healthy; 1 and 2 say unhealthy: 1/3 > 18% → healthy
    obs.store(0, 0, packObservation(Result.SUCCESS, 3, 10));
    obs.store(1, 0, packObservation(Result.FAILURE, 3, 10));
    obs.store(2, 0, packObservation(Result.FAILURE, 3, 10));
    agg.tick(1);
    expect(status.get(0)).toBe(Status.HEALTHY);
    // vantage 0 dies: its row is cleared and its verdicts forgotten → 0/2 healthy
    obs.row(0).fill(0);
    agg.forgetVantage(0);
    expect(agg.verdict(0, 0)).toBe(Status.UNKNOWN);
    agg.tick(2);
    expect(status.get(0)).toBe(Status.UNHEALTHY);
    // it comes back
    obs.store(0, 0, packObservation(Result.SUCCESS, 1, 10));
    agg.tick(3);
    expect(status.get(0)).toBe(Status.HEALTHY);
    expect(() => agg.forgetVantage(3)).toThrow(/vantage 3/);
  });
});
