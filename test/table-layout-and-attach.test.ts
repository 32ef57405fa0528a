/**
 * The tables' layout rules on one thread (capacity bounds, header checks,
 * the observation word), plus one round trip of a StatusTable across a real
 * worker thread: created here, attached and written there.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UrndError, type UrndErrorCode } from '../src/errors.js';
import { LATENCY_MAX_US, MAX_CAPACITY, Result, RUN_MAX, Status, statusTableBytes } from '../src/table/layout.js';
import { ObservationTable } from '../src/table/observation-table.js';
import {
  isValidObservation,
  nextObservation,
  observationLatencyUs,
  observationResult,
  observationRun,
  packObservation,
} from '../src/table/observation-word.js';
import { StatusTable } from '../src/table/status-table.js';

function codeOf(fn: () => unknown): UrndErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UrndError);
    return (err as UrndError).code;
  }
  return undefined;
}

describe('StatusTable across a real worker thread', () => {
  it('a worker attaches the buffer, sees our writes, and its set + publish are seen here', async () => {
    const compiled = fileURLToPath(new URL('../dist/src/table/status-table.js', import.meta.url));
    if (!existsSync(compiled)) {
      throw new Error(`${compiled} is missing: run \`npm run build\` first (npm test builds before testing)`);
    }
    const table = StatusTable.create(1000);
    table.set(7, Status.HEALTHY);
    table.publish(1_000);

    // The worker loads the compiled module: worker threads do not run TypeScript.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.moduleUrl).then(({ StatusTable }) => {
        const t = StatusTable.attach(workerData.buffer);
        const seen = { capacity: t.capacity, slot7: t.get(7), sequence: t.sequence, updatedAt: t.updatedAt };
        t.set(999, 2);
        const sequence = t.publish(2000);
        parentPort.postMessage({ seen, sequence });
      });
    `;
    const worker = new Worker(code, {
      eval: true,
      workerData: { buffer: table.buffer, moduleUrl: pathToFileURL(compiled).href },
    });
    try {
      const reply = await new Promise<{ seen: Record<string, number>; sequence: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before replying`)));
      });
      expect(reply.seen).toEqual({ capacity: 1000, slot7: Status.HEALTHY, sequence: 1, updatedAt: 1_000 });
      expect(reply.sequence).toBe(2);
      expect(table.sequence).toBe(2);
      expect(table.updatedAt).toBe(2000);
      expect(table.get(999)).toBe(Status.UNHEALTHY);
      expect(table.counts()).toEqual([998, 1, 1]);
    } finally {
      await worker.terminate();
    }
  });
});

describe('capacity bounds', () => {
  it.each([0, 1.5, MAX_CAPACITY + 1, -1, Number.NaN])('rejects %s with URND_ERR_CAPACITY', (capacity) => {
    expect(codeOf(() => StatusTable.create(capacity))).toBe('URND_ERR_CAPACITY');
    expect(codeOf(() => ObservationTable.create(capacity))).toBe('URND_ERR_CAPACITY');
  });

  it.each([1, MAX_CAPACITY])('accepts %s', (capacity) => {
    expect(MAX_CAPACITY).toBe(1_048_576);
    const table = StatusTable.create(capacity);
    expect(table.capacity).toBe(capacity);
    expect(table.statuses.length).toBe(capacity);
    expect(table.buffer.byteLength).toBe(statusTableBytes(capacity));
    expect(table.counts()).toEqual([capacity, 0, 0]);
    expect(StatusTable.attach(table.buffer).capacity).toBe(capacity);
  });
});

describe('attaching a buffer that is not a table', () => {
  it('StatusTable.attach rejects it with URND_ERR_TABLE_LAYOUT', () => {
    const status = StatusTable.create(100);
    const observation = ObservationTable.create(100);
    const truncated = new SharedArrayBuffer(statusTableBytes(100) - 1);
    new Uint8Array(truncated).set(new Uint8Array(status.buffer, 0, truncated.byteLength));
    const cases: unknown[] = [
      new SharedArrayBuffer(statusTableBytes(100)), // zeroed: no magic
      new SharedArrayBuffer(10), // shorter than a header
      new ArrayBuffer(statusTableBytes(100)), // not shared
      observation.buffer, // the other table
      truncated, // right header, wrong length
    ];
    for (const buffer of cases) {
      expect(codeOf(() => StatusTable.attach(buffer as SharedArrayBuffer))).toBe('URND_ERR_TABLE_LAYOUT');
    }
  });

  it('ObservationTable.attach rejects it with URND_ERR_TABLE_LAYOUT', () => {
    const status = StatusTable.create(100);
    const observation = ObservationTable.create(100, 3);
    expect(ObservationTable.attach(observation.buffer).vantages).toBe(3);
    for (const buffer of [status.buffer, new SharedArrayBuffer(64 + 400), new SharedArrayBuffer(8)]) {
      expect(codeOf(() => ObservationTable.attach(buffer))).toBe('URND_ERR_TABLE_LAYOUT');
    }
  });
});

describe('observation word', () => {
  it('pack then unpack gives the fields back, and the word is valid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(Result.SUCCESS, Result.FAILURE),
        // a word with a result always has run >= 1 (nextObservation starts runs at 1)
        fc.integer({ min: 1, max: RUN_MAX }),
        fc.integer({ min: 0, max: LATENCY_MAX_US }),
        (result, run, latency) => {
          const word = packObservation(result, run, latency);
          expect(observationResult(word)).toBe(result);
          expect(observationRun(word)).toBe(run);
          expect(observationLatencyUs(word)).toBe(latency);
          expect(isValidObservation(word)).toBe(true);
        },
      ),
    );
    expect(packObservation(Result.NONE, 0, 0)).toBe(0);
    expect(isValidObservation(0)).toBe(true);
  });

  it('caps latency at 2^24 - 1 µs and clamps run to 0..15', () => {
    const capped = packObservation(Result.SUCCESS, 1, 20_000_000);
    expect(observationLatencyUs(capped)).toBe(LATENCY_MAX_US);
    expect(capped).toBeLessThan(0); // the top bit is latency, read back unsigned
    expect(isValidObservation(capped)).toBe(true);
    expect(observationLatencyUs(packObservation(Result.SUCCESS, 1, -5))).toBe(0);
    expect(observationRun(packObservation(Result.FAILURE, 99, 0))).toBe(RUN_MAX);
    expect(observationRun(packObservation(Result.FAILURE, -3, 0))).toBe(0);
  });

  it('rejects words urnd never writes', () => {
    expect(isValidObservation(3)).toBe(false); // result 3
    expect(isValidObservation(packObservation(Result.SUCCESS, 1, 0) | 0b0100_0000)).toBe(false); // reserved bit
    expect(isValidObservation(packObservation(Result.SUCCESS, 1, 0) | 0b1000_0000)).toBe(false); // reserved bit
    expect(isValidObservation(1 << 2)).toBe(false); // a run with no result
    expect(isValidObservation(1 << 8)).toBe(false); // a latency with no result
  });

  it('nextObservation counts the run, restarts it on a change, saturates at 15', () => {
    let word = 0;
    for (let i = 1; i <= 20; i++) {
      word = nextObservation(word, Result.SUCCESS, 100 * i);
      expect(observationResult(word)).toBe(Result.SUCCESS);
      expect(observationRun(word)).toBe(Math.min(i, RUN_MAX));
      expect(observationLatencyUs(word)).toBe(100 * i);
    }
    word = nextObservation(word, Result.FAILURE, LATENCY_MAX_US + 1);
    expect([observationResult(word), observationRun(word), observationLatencyUs(word)]).toEqual([
      Result.FAILURE,
      1,
      LATENCY_MAX_US,
    ]);
    word = nextObservation(word, Result.FAILURE, 0);
    expect(observationRun(word)).toBe(2);
    word = nextObservation(word, Result.SUCCESS, 0);
    expect([observationResult(word), observationRun(word)]).toEqual([Result.SUCCESS, 1]);
  });

  it('nextObservation matches a naive run counter on random result sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(Result.SUCCESS, Result.FAILURE), { maxLength: 60 }), (results) => {
        let word = 0;
        let previous: Result = Result.NONE;
        let run = 0;
        for (const r of results) {
          run = r === previous ? run + 1 : 1;
          previous = r;
          word = nextObservation(word, r, 5);
          expect(observationResult(word)).toBe(r);
          expect(observationRun(word)).toBe(Math.min(run, RUN_MAX));
          expect(isValidObservation(word)).toBe(true);
        }
      }),
    );
  });
});
