import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import { Cell } from '../src/cell.js';
import { Status } from '../src/table/layout.js';
import { Targets, waitFor } from './support/targets.js';
import { countsPercentile, countsTotal } from '../src/metrics/shared-histogram.js';

/**
 * A whole cell in-process against real loopback HTTP targets: checker
 * workers probe, the aggregator flips statuses after failureThreshold
 * results, the resolver's answers follow; a killed checker thread is
 * counted and its slots resume.
 */
const HOSTS = ['127.0.2.1', '127.0.2.2', '127.0.2.3', '127.0.2.4'];
const INTERVAL_MS = 1000;
const THRESHOLD = 2;
const TICK_MS = 200;
// Worst case from a target's change to the answer: up to one interval until
// its next probe, THRESHOLD probes, one tick; plus 600 ms for a loaded machine.
const BOUND_MS = INTERVAL_MS + (THRESHOLD - 1) * INTERVAL_MS + 500 + TICK_MS + 600;

let targets: Targets;
let cell: Cell;

beforeAll(async () => {
  targets = await Targets.start(HOSTS);
  const plan = compileConfig({
    cell: { name: 'e2e', capacity: 32 },
    checks: HOSTS.map((host, i) => ({
      id: `t${i}`,
      slot: i,
      type: 'http',
      host,
      port: targets.port,
      path: '/',
      interval: '1s',
      timeout: '500ms',
      failureThreshold: THRESHOLD,
    })),
    zones: [{ origin: 'e2e.test' }],
    records: [
      {
        name: 'pool.e2e.test',
        type: 'A',
        policy: 'multivalue',
        answers: HOSTS.map((value, i) => ({ value, check: `t${i}` })),
      },
    ],
  });
  cell = Cell.start(plan, { checkers: 2, tickMs: TICK_MS, log: () => {} });
});

afterAll(async () => {
  await cell?.stop();
  await targets?.stop();
});

const answers = () => cell.resolver.resolve('pool.e2e.test').addresses.slice().sort();

describe('cell with real targets', () => {
  it('all targets become healthy after THRESHOLD probes', async () => {
    await waitFor(() => HOSTS.every((_, i) => cell.statusTable.get(i) === Status.HEALTHY), 2 * BOUND_MS, 'all healthy');
    expect(answers()).toEqual(HOSTS);
  });

  it('targets taken down leave the answer within the bound, and come back', async () => {
    await targets.down(HOSTS[1] as string);
    await targets.down(HOSTS[3] as string);
    const outMs = await waitFor(
      () => answers().join() === [HOSTS[0], HOSTS[2]].join(),
      BOUND_MS,
      'down targets excluded',
    );
    expect(cell.statusTable.get(1)).toBe(Status.UNHEALTHY);
    expect(outMs).toBeLessThanOrEqual(BOUND_MS);
    await targets.up(HOSTS[1] as string);
    await targets.up(HOSTS[3] as string);
    await waitFor(() => answers().length === 4, BOUND_MS, 'targets back');
  });

  it('all down: answers every target (answer-all), and the cell keeps probing at the same rate', async () => {
    const before = cell.checkers.stats().probesStarted;
    const t0 = Date.now();
    for (const h of HOSTS) await targets.down(h);
    await waitFor(() => HOSTS.every((_, i) => cell.statusTable.get(i) === Status.UNHEALTHY), BOUND_MS, 'all unhealthy');
    expect(answers()).toEqual(HOSTS);
    const probes = cell.checkers.stats().probesStarted - before;
    const expected = (HOSTS.length * (Date.now() - t0)) / INTERVAL_MS;
    // Same schedule as when healthy: no retries, no backoff.
    expect(probes).toBeLessThanOrEqual(expected + HOSTS.length + 1);
    expect(probes).toBeGreaterThanOrEqual(expected - HOSTS.length - 1);
    for (const h of HOSTS) await targets.up(h);
    await waitFor(() => HOSTS.every((_, i) => cell.statusTable.get(i) === Status.HEALTHY), BOUND_MS, 'all back');
  });

  it('counts every probe start in the shared lateness histogram, readable while probes run', async () => {
    // A start is counted in lateness just before the started counter, so
    // read in the order started, lateness, started: the one is bracketed.
    for (let k = 0; k < 3; k++) {
      const startedBefore = cell.checkers.stats().probesStarted;
      const counted = countsTotal(cell.checkers.lateness());
      const startedAfter = cell.checkers.stats().probesStarted;
      expect(counted).toBeGreaterThanOrEqual(startedBefore);
      expect(counted).toBeLessThanOrEqual(startedAfter + cell.checkers.workers);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(countsTotal(cell.checkers.lateness())).toBeGreaterThan(0);
    // Late by less than an interval: the schedule is being kept.
    expect(countsPercentile(cell.checkers.lateness(), 50)).toBeLessThan(INTERVAL_MS * 1000);
    // The status line's figure is in ms (the histogram's in µs), and also under an interval.
    const p99Ms = cell.status().latenessP99Ms;
    expect(Number.isFinite(p99Ms)).toBe(true);
    expect(p99Ms).toBeLessThan(INTERVAL_MS);
    expect(p99Ms * 1000).toBeLessThanOrEqual(countsPercentile(cell.checkers.lateness(), 100));
  });

  it('a killed checker thread is counted and its slots resume probing', async () => {
    const thread = cell.checkers.threads[0];
    expect(thread).toBeDefined();
    const obsBefore = Array.from(HOSTS, (_, i) => cell.observations.load(0, i));
    await thread?.terminate();
    await waitFor(() => cell.checkers.stats().crashes === 1, 3000, 'crash counted');
    // Every slot (both partitions) gets fresh observations again.
    await waitFor(
      () => HOSTS.every((_, i) => cell.observations.load(0, i) !== obsBefore[i]),
      4000,
      'every slot observed again after the restart',
    );
    expect(HOSTS.every((_, i) => cell.statusTable.get(i) === Status.HEALTHY)).toBe(true);
  });
});
