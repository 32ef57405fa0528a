/**
 * Real worker threads on shared tables: readers that take no lock never see a
 * status byte or observation word that no writer wrote, while writers store
 * to random slots as fast as they can. Runs the compiled bench module, because
 * worker threads load plain JavaScript from dist/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATUS_COUNT, Status } from '../src/table/layout.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';

type TableStress = typeof import('../bench/table-stress.js');

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${repoRoot}dist/bench/table-stress.js`;
const compiledWorker = `${repoRoot}dist/bench/workers/table-stress-worker.js`;

let stress: TableStress;

beforeAll(async () => {
  for (const file of [compiled, compiledWorker]) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: run \`npm run build\` first (npm test builds before testing)`);
    }
  }
  stress = (await import(pathToFileURL(compiled).href)) as TableStress;
});

// Two capacities: a round one, and one that is not a multiple of 4 or 8, so a
// scan ends mid-word and mid-cache-line.
describe.each([
  { capacity: 4096, readers: 2 },
  { capacity: 1021, readers: 1 },
])('capacity $capacity, 2 writers, $readers reader(s)', ({ capacity, readers }) => {
  it('readers scan lock-free and see only values a writer wrote, idle and busy', async () => {
    const { figures, status, observation } = await stress.runTableContention({
      capacity,
      writers: 2,
      readers,
      durationMs: 350,
    });

    // Nobody saw a value nobody wrote.
    expect(figures.invalidStatusReads).toBe(0);
    expect(figures.invalidObservationReads).toBe(0);
    expect(figures.sequenceRegressions).toBe(0);
    expect(figures.invalidReads).toBe(0);

    // Both phases really ran: writers stayed parked while idle, then wrote;
    // every reader kept scanning in both phases (a writer never blocks one).
    expect(figures.idleWrites).toBe(0);
    expect(figures.writes).toBeGreaterThan(0);
    expect(figures.writesPerSec).toBeGreaterThan(0);
    expect(figures.scans).toBeGreaterThan(0);
    expect(figures.idleScansPerSecByReader).toHaveLength(readers);
    for (const rate of figures.idleScansPerSecByReader) expect(rate).toBeGreaterThan(0);
    for (const rate of figures.busyScansPerSecByReader) expect(rate).toBeGreaterThan(0);

    // After stop, the tables hold only what writers could have written: the
    // initial 0 or a writer's value, checked here independently of the bench.
    expect(status.capacity).toBe(capacity);
    let unknown = 0;
    let healthy = 0;
    let unhealthy = 0;
    let other = 0;
    for (const v of status.statuses) {
      if (v === Status.UNKNOWN) unknown++;
      else if (v === Status.HEALTHY) healthy++;
      else if (v === Status.UNHEALTHY) unhealthy++;
      else other++;
    }
    expect(other).toBe(0);
    expect(unknown + healthy + unhealthy).toBe(capacity);
    expect(healthy).toBeGreaterThan(0);
    expect(unhealthy).toBeGreaterThan(0);
    expect(Math.max(...status.statuses)).toBeLessThan(STATUS_COUNT);

    let observed = 0;
    let foreign = 0;
    for (let i = 0; i < observation.words.length; i++) {
      const w = Atomics.load(observation.words, i);
      if (w !== 0) observed++;
      if (!stress.isStressObservation(w)) foreign++;
    }
    expect(foreign).toBe(0);
    expect(observed).toBeGreaterThan(0);
    expect(figures.finalInvalidValues).toBe(0);
    expect(status.sequence).toBe(figures.publishes);
  });
});

// The checks above would pass vacuously if the reader's validation never
// fired. Run one reader scan and one writer batch on this thread (the
// 'running' message, sent after the first scan or batch, sets the stop flag).
describe('the worker loops, one pass on this thread', () => {
  function oneShot(workers: number): { control: Int32Array; post: (m: { type: string }) => void } {
    const control = new Int32Array(new SharedArrayBuffer(4 * stress.controlFields(workers)));
    Atomics.store(control, stress.kReadersGoField, 1);
    Atomics.store(control, stress.kWritersGoField, 1);
    const post = (m: { type: string }): void => {
      if (m.type === 'running') Atomics.store(control, stress.kStopField, 1);
    };
    return { control, post };
  }

  it('a reader counts every value nobody could have written', () => {
    const status = StatusTable.create(1021);
    const observation = ObservationTable.create(1021, 2);
    status.statuses[5] = 3; // no status 3 exists
    status.statuses[1020] = 255;
    const a = stress.stressObservation(1, 3, 0x1234);
    const b = stress.stressObservation(2, 15, 0xfedc);
    observation.store(1, 1020, (a & 0xffff) | (b & ~0xffff)); // spliced from two stores
    observation.store(0, 9, a);
    const { control, post } = oneShot(1);
    const totals = stress.runTableReader(status, observation, control, 0, post);
    expect(totals).toMatchObject({
      scans: 1,
      invalidStatusReads: 2,
      invalidObservationReads: 1,
      sequenceRegressions: 0,
    });
    expect(Atomics.load(control, stress.workerField(0, stress.kInvalidOffset))).toBe(3);
    expect(stress.countInvalidValues(status, observation)).toBe(3);
  });

  it('a writer stores only healthy/unhealthy bytes and signed valid words, then publishes', () => {
    const status = StatusTable.create(1021);
    const observation = ObservationTable.create(1021, 2);
    const { control, post } = oneShot(2);
    const totals = stress.runTableWriter(status, observation, control, 1, 12345, post);
    expect(totals).toEqual({ role: 'writer', writes: 2 * stress.kWriterBatch, publishes: 1 });
    expect(Atomics.load(control, stress.workerField(1, stress.kCountOffset))).toBe(2 * stress.kWriterBatch);
    expect(status.sequence).toBe(1);
    const [, healthy, unhealthy] = status.counts();
    expect(healthy).toBeGreaterThan(0);
    expect(unhealthy).toBeGreaterThan(0);
    expect(observation.words.some((w) => w !== 0)).toBe(true);
    expect(stress.countInvalidValues(status, observation)).toBe(0);
  });
});

describe('stress observation words', () => {
  it('accept every word a writer makes and reject a word spliced from two', () => {
    const a = stress.stressObservation(1, 3, 0x1234);
    const b = stress.stressObservation(2, 15, 0xfedc);
    expect(stress.isStressObservation(0)).toBe(true);
    expect(stress.isStressObservation(a)).toBe(true);
    expect(stress.isStressObservation(b)).toBe(true);
    // A torn read: low half of one store, high half of the other.
    const torn = (a & 0xffff) | (b & ~0xffff);
    expect(stress.isStressObservation(torn)).toBe(false);
  });
});
