/**
 * Table contention with real worker threads: do lock-free readers of the
 * StatusTable and ObservationTable ever see a value nobody wrote, and how much
 * slower does a reader's full scan get while writers hammer the same memory?
 *
 * One run has two phases, measured back to back on the same tables:
 *
 *   idle  readers scan, writers are parked on Atomics.wait (they have not
 *         written a single byte yet);
 *   busy  readers keep scanning, writers store statuses and observation words
 *         to random slots as fast as they can.
 *
 * Readers scan every status byte with plain typed-array loads (as the resolver
 * does) and every observation word with Atomics.load (as the aggregator does),
 * and check each value: a status below STATUS_COUNT, an observation word that
 * isValidObservation and that carries the writers' signature (see
 * `stressObservation`), a sequence that never goes backwards.
 *
 * The worker-side loops live here so tests can import them; the worker entry
 * (`workers/table-stress-worker.ts`) only attaches the tables and calls them.
 * The main thread and the workers talk through the control buffer below and
 * the `TableStressMessage` contract, and never import each other's entries.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { UrndError } from '../src/errors.js';
import { STATUS_COUNT, type Result, RUN_MAX } from '../src/table/layout.js';
import { ObservationTable } from '../src/table/observation-table.js';
import {
  isValidObservation,
  observationLatencyUs,
  observationResult,
  observationRun,
  packObservation,
} from '../src/table/observation-word.js';
import { StatusTable } from '../src/table/status-table.js';

// ---------------------------------------------------------------------------
// The control buffer: one Int32Array on a SharedArrayBuffer.
//
//   field 0        1            2            ... 15 │ worker 0 (16 fields)  │ worker 1 …
//   ┌──────┬──────────────┬──────────────┬─────────┬─────────┬───────┬─────┬─────────
//   │ stop │ readers go   │ writers go   │ unused  │ count   │invalid│ ... │ count …
//   └──────┴──────────────┴──────────────┴─────────┴─────────┴───────┴─────┴─────────
//
// The header fills one 64-byte cache line and each worker's counters fill one
// of their own, so a reader bumping its scan count never invalidates the line
// another worker is writing (the counters would otherwise contend with each
// other and blur the figure we are after: contention on the *tables*).
// ---------------------------------------------------------------------------

/** Set to 1 (by the main thread only) to make every loop return. */
export const kStopField = 0;
/** 0 while readers stay parked; the main thread stores 1 and notifies. */
export const kReadersGoField = 1;
/** 0 while writers stay parked; the main thread stores 1 and notifies. */
export const kWritersGoField = 2;
/** Int32 fields before the first worker's block: one cache line. */
export const kControlHeaderFields = 16;
/** Int32 fields per worker block: one cache line. */
export const kWorkerFieldStride = 16;
/**
 * Offset in a worker's block: scans done (reader) or table stores done
 * (writer), stored as a wrapping Int32. The main thread only ever subtracts
 * two samples, `(b - a) >>> 0`, which is exact while one phase stays below
 * 2^32 events.
 */
export const kCountOffset = 0;
/** Offset in a worker's block: invalid values seen so far (reader). */
export const kInvalidOffset = 1;

/** Int32 fields of a control buffer for `workers` workers. */
export function controlFields(workers: number): number {
  return kControlHeaderFields + workers * kWorkerFieldStride;
}

/** The control field at `offset` in worker `worker`'s block. */
export function workerField(worker: number, offset: number): number {
  return kControlHeaderFields + worker * kWorkerFieldStride + offset;
}

// ---------------------------------------------------------------------------
// The message contract between the main thread and a table-stress worker.
// ---------------------------------------------------------------------------

export type TableStressRole = 'reader' | 'writer';

/** What the main thread hands each worker as `workerData`. */
export interface TableStressWorkerData {
  readonly role: TableStressRole;
  /** The worker's block in the control buffer (readers first, then writers). */
  readonly worker: number;
  /** Seed of a writer's random slot choice; never 0. */
  readonly seed: number;
  readonly status: SharedArrayBuffer;
  readonly observation: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

export interface ReaderTotals {
  readonly role: 'reader';
  readonly scans: number;
  readonly invalidStatusReads: number;
  readonly invalidObservationReads: number;
  readonly sequenceRegressions: number;
  /** Sum of a bit of every status read, so the scan cannot be optimised away. */
  readonly checksum: number;
}

export interface WriterTotals {
  readonly role: 'writer';
  /** Status bytes plus observation words stored. */
  readonly writes: number;
  readonly publishes: number;
}

/** Worker → main. */
export type TableStressMessage =
  | { readonly type: 'ready' } // tables attached, about to park
  | { readonly type: 'running' } // released, first scan or batch done
  | { readonly type: 'done'; readonly totals: ReaderTotals | WriterTotals };

export type PostTableStressMessage = (message: TableStressMessage) => void;

// ---------------------------------------------------------------------------
// The observation words writers store: valid words with a signature.
// ---------------------------------------------------------------------------

/**
 * An 8-bit hash of an observation's result, run and 16-bit tag. Writers put
 * `tag << 8 | check` in the latency field, so a word made of halves or bytes
 * of two different stores fails `isStressObservation` (an Atomics-stored word
 * cannot tear; this is what would catch it if it did).
 */
function stressCheck(result: number, run: number, tag: number): number {
  return Math.imul(tag ^ (run << 16) ^ (result << 20), 0x9e3779b1) >>> 24;
}

/**
 * The word a stress writer stores: result 1 or 2, run 1..15 (as
 * nextObservation makes), and a latency up to LATENCY_MAX_US carrying the tag
 * and its check, so every bit of the word is exercised, sign bit included.
 */
export function stressObservation(result: Result, run: number, tag: number): number {
  const t = tag & 0xffff;
  return packObservation(result, run, (t << 8) | stressCheck(result, run, t));
}

/** True for 0 (never observed) and for any word `stressObservation` can make. */
export function isStressObservation(word: number): boolean {
  if (word === 0) return true;
  if (!isValidObservation(word)) return false;
  const result = observationResult(word);
  const run = observationRun(word);
  const latency = observationLatencyUs(word);
  const tag = latency >>> 8;
  return run >= 1 && (latency & 0xff) === stressCheck(result, run, tag);
}

// ---------------------------------------------------------------------------
// Worker-side loops. Both run synchronously until kStopField is set.
// ---------------------------------------------------------------------------

/**
 * Parks on `goField` until the main thread releases it. Atomics.wait returns
 * at once if the field is already non-zero, so a release that happens before
 * the wait is not lost. Returns false if the run was stopped instead.
 */
function park(control: Int32Array, goField: number): boolean {
  while (Atomics.load(control, goField) === 0) Atomics.wait(control, goField, 0);
  return Atomics.load(control, kStopField) === 0;
}

/**
 * A reader: scans every status byte and every observation word until stopped,
 * validating each value, and publishes its scan count in its control block
 * after every scan.
 */
export function runTableReader(
  status: StatusTable,
  observation: ObservationTable,
  control: Int32Array,
  worker: number,
  post: PostTableStressMessage,
): ReaderTotals {
  const countField = workerField(worker, kCountOffset);
  const invalidField = workerField(worker, kInvalidOffset);
  let scans = 0;
  let invalidStatusReads = 0;
  let invalidObservationReads = 0;
  let sequenceRegressions = 0;
  let checksum = 0;
  post({ type: 'ready' });
  if (park(control, kReadersGoField)) {
    const statuses = status.statuses;
    const words = observation.words;
    const slots = statuses.length;
    const wordCount = words.length;
    let lastSequence = status.sequence;
    let invalid = 0;
    do {
      // Writers bump the sequence with Atomics.add; it may wrap, never go back.
      const sequence = status.sequence;
      if (((sequence - lastSequence) | 0) < 0) sequenceRegressions++;
      lastSequence = sequence;
      // Plain loads, no lock, exactly what the resolver does per answer. A
      // byte cannot tear, so each load is some writer's byte or the initial 0.
      for (let i = 0; i < slots; i++) {
        const v = statuses[i] as number; // i < length: never undefined
        if (v >= STATUS_COUNT) invalidStatusReads++;
        checksum += v & 1;
      }
      for (let i = 0; i < wordCount; i++) {
        const w = Atomics.load(words, i);
        if (!isStressObservation(w)) invalidObservationReads++;
      }
      scans++;
      // The Atomics calls here also keep the JIT from hoisting the plain
      // loads above out of this loop.
      Atomics.store(control, countField, scans | 0);
      const nowInvalid = invalidStatusReads + invalidObservationReads + sequenceRegressions;
      if (nowInvalid !== invalid) {
        invalid = nowInvalid;
        Atomics.store(control, invalidField, invalid | 0);
      }
      if (scans === 1) post({ type: 'running' });
    } while (Atomics.load(control, kStopField) === 0);
  }
  const totals: ReaderTotals = {
    role: 'reader',
    scans,
    invalidStatusReads,
    invalidObservationReads,
    sequenceRegressions,
    checksum,
  };
  post({ type: 'done', totals });
  return totals;
}

/** Stores per writer batch; the stop flag and counter are touched once a batch. */
export const kWriterBatch = 1024;

/**
 * A writer: stores HEALTHY or UNHEALTHY into random status slots and
 * stressObservation words into random observation words, publishing after
 * every batch of kWriterBatch pairs, until stopped.
 */
export function runTableWriter(
  status: StatusTable,
  observation: ObservationTable,
  control: Int32Array,
  worker: number,
  seed: number,
  post: PostTableStressMessage,
): WriterTotals {
  const countField = workerField(worker, kCountOffset);
  let writes = 0;
  let publishes = 0;
  post({ type: 'ready' });
  if (park(control, kWritersGoField)) {
    const statuses = status.statuses;
    const words = observation.words;
    const slots = statuses.length;
    const wordCount = words.length;
    let x = seed | 0 || 0x2545f491; // xorshift32 state; must not be 0
    do {
      for (let k = 0; k < kWriterBatch; k++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const a = x >>> 0;
        // Top bit picks the value: only 1 (healthy) or 2 (unhealthy), never 0.
        statuses[a % slots] = 1 + (a >>> 31);
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const b = x >>> 0;
        const result = (1 + (b & 1)) as Result;
        const run = 1 + ((b >>> 1) % RUN_MAX);
        Atomics.store(words, (b >>> 5) % wordCount, stressObservation(result, run, b >>> 16));
      }
      writes += 2 * kWriterBatch;
      status.publish();
      publishes++;
      Atomics.store(control, countField, writes | 0);
      if (publishes === 1) post({ type: 'running' });
    } while (Atomics.load(control, kStopField) === 0);
  }
  const totals: WriterTotals = { role: 'writer', writes, publishes };
  post({ type: 'done', totals });
  return totals;
}

// ---------------------------------------------------------------------------
// Main thread.
// ---------------------------------------------------------------------------

export interface TableContentionOptions {
  /** Slots in each table (1..1,048,576). */
  readonly capacity: number;
  /** Writer threads, ≥ 1. */
  readonly writers: number;
  /** Reader threads, ≥ 1. */
  readonly readers: number;
  /** Length of each phase (idle, then busy), ms. */
  readonly durationMs: number;
  /** Observation table rows; default 1. */
  readonly vantages?: number;
}

export interface TableContention {
  readonly capacity: number;
  readonly vantages: number;
  readonly readers: number;
  readonly writers: number;
  /** Cores Node may use; more threads than this measures time-slicing too. */
  readonly cpus: number;
  readonly oversubscribed: boolean;
  /** Measured length of each phase, ms. */
  readonly idleMs: number;
  readonly busyMs: number;
  /** Full scans (every status byte and observation word) per second per reader, mean over readers. */
  readonly idleScansPerSec: number;
  readonly busyScansPerSec: number;
  /** The same, reader by reader. */
  readonly idleScansPerSecByReader: readonly number[];
  readonly busyScansPerSecByReader: readonly number[];
  /** busyScansPerSec ÷ idleScansPerSec, in this one run. */
  readonly busyOverIdle: number;
  /** Table stores (status bytes + observation words) per second, all writers, busy phase. */
  readonly writesPerSec: number;
  /** Stores counted during the idle phase: 0, or the writers were not parked. */
  readonly idleWrites: number;
  /** Totals over the whole run, from each worker's final report. */
  readonly scans: number;
  readonly writes: number;
  readonly publishes: number;
  /** Values readers saw that no writer could have written (sum of the three below). */
  readonly invalidReads: number;
  readonly invalidStatusReads: number;
  readonly invalidObservationReads: number;
  readonly sequenceRegressions: number;
  /** Invalid values left in the tables after every worker exited (main thread scan). */
  readonly finalInvalidValues: number;
  readonly finalSequence: number;
}

export interface TableContentionRun {
  readonly figures: TableContention;
  /** The tables the workers shared, for a caller that wants to inspect them. */
  readonly status: StatusTable;
  readonly observation: ObservationTable;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marked handled: a stage that fails before anyone awaits it must not crash
  // the process; whoever awaits it later still gets the rejection.
  promise.catch(() => undefined);
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve(value) {
      d.settled = true;
      resolve(value);
    },
    reject(reason) {
      d.settled = true;
      reject(reason);
    },
  };
  return d;
}

/** One worker and the promises of the stages it reports. */
class StressWorker {
  readonly worker: Worker;
  readonly ready = deferred<void>();
  readonly running = deferred<void>();
  readonly done = deferred<ReaderTotals | WriterTotals>();
  readonly exited = deferred<number>();

  constructor(data: TableStressWorkerData) {
    const name = `table-stress ${data.role} #${data.worker}`;
    this.worker = new Worker(new URL('./workers/table-stress-worker.js', import.meta.url), {
      workerData: data,
      name,
    });
    const stages = [this.ready, this.running, this.done] as const;
    const failPending = (reason: unknown): void => {
      for (const s of stages) if (!s.settled) s.reject(reason);
    };
    this.worker.on('message', (m: TableStressMessage) => {
      if (m.type === 'ready') this.ready.resolve();
      else if (m.type === 'running') this.running.resolve();
      else this.done.resolve(m.totals);
    });
    this.worker.on('error', (err) => failPending(err));
    this.worker.on('exit', (code) => {
      failPending(new Error(`${name} exited with code ${code} before it reported done`));
      this.exited.resolve(code);
    });
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`table stress: timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function release(control: Int32Array, goField: number): void {
  Atomics.store(control, goField, 1);
  Atomics.notify(control, goField);
}

/** Stop everyone, parked or running: set the flag first, then open both gates. */
function stopAll(control: Int32Array): void {
  Atomics.store(control, kStopField, 1);
  release(control, kReadersGoField);
  release(control, kWritersGoField);
}

interface Sample {
  readonly at: number;
  readonly counts: readonly number[];
}

function sample(control: Int32Array, workers: number): Sample {
  const counts: number[] = [];
  for (let w = 0; w < workers; w++) counts.push(Atomics.load(control, workerField(w, kCountOffset)));
  return { at: performance.now(), counts };
}

/** Events of worker `w` between two samples, per second. */
function ratePerSec(from: Sample, to: Sample, w: number): number {
  const events = ((to.counts[w] ?? 0) - (from.counts[w] ?? 0)) >>> 0;
  return events / ((to.at - from.at) / 1000);
}

function checkWhole(value: number, min: number, field: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new UrndError('URND_ERR_ARGUMENT', `${field}: ${String(value)} is not a whole number ≥ ${min}`);
  }
}

/** Counts values in the tables that no stress writer could have written. */
export function countInvalidValues(status: StatusTable, observation: ObservationTable): number {
  let invalid = 0;
  for (const v of status.statuses) if (v >= STATUS_COUNT) invalid++;
  for (let i = 0; i < observation.words.length; i++) {
    if (!isStressObservation(Atomics.load(observation.words, i))) invalid++;
  }
  return invalid;
}

/**
 * Runs the idle phase then the busy phase on fresh tables and returns the
 * figures with the tables themselves. Every worker has exited when it returns.
 */
export async function runTableContention(opts: TableContentionOptions): Promise<TableContentionRun> {
  const { capacity, writers, readers, durationMs } = opts;
  const vantages = opts.vantages ?? 1;
  checkWhole(readers, 1, 'readers');
  checkWhole(writers, 1, 'writers');
  checkWhole(durationMs, 1, 'durationMs');
  const status = StatusTable.create(capacity);
  const observation = ObservationTable.create(capacity, vantages);
  const workerCount = readers + writers;
  const control = new Int32Array(new SharedArrayBuffer(4 * controlFields(workerCount)));
  // Generous: covers starting threads on a loaded CI machine, not the phases.
  const stageMs = 15_000;

  const workers: StressWorker[] = [];
  try {
    for (let w = 0; w < workerCount; w++) {
      workers.push(
        new StressWorker({
          role: w < readers ? 'reader' : 'writer',
          worker: w,
          seed: (0x9e3779b9 * (w + 1)) | 0 || 1,
          status: status.buffer,
          observation: observation.buffer,
          control: control.buffer as SharedArrayBuffer,
        }),
      );
    }
    const readerWorkers = workers.slice(0, readers);
    const writerWorkers = workers.slice(readers);
    await within(Promise.all(workers.map((w) => w.ready.promise)), stageMs, 'workers to attach');

    // Idle phase: readers only. Sampling starts once every reader has
    // finished a scan, so thread wake-up is not counted as idle time.
    release(control, kReadersGoField);
    await within(Promise.all(readerWorkers.map((w) => w.running.promise)), stageMs, 'readers to start');
    const idleFrom = sample(control, workerCount);
    await delay(durationMs);
    const idleTo = sample(control, workerCount);

    // Busy phase: the same readers, writers released.
    release(control, kWritersGoField);
    await within(Promise.all(writerWorkers.map((w) => w.running.promise)), stageMs, 'writers to start');
    const busyFrom = sample(control, workerCount);
    await delay(durationMs);
    const busyTo = sample(control, workerCount);

    stopAll(control);
    const totals = await within(Promise.all(workers.map((w) => w.done.promise)), stageMs, 'workers to stop');
    await within(Promise.all(workers.map((w) => w.exited.promise)), stageMs, 'workers to exit');

    const idleByReader: number[] = [];
    const busyByReader: number[] = [];
    for (let r = 0; r < readers; r++) {
      idleByReader.push(ratePerSec(idleFrom, idleTo, r));
      busyByReader.push(ratePerSec(busyFrom, busyTo, r));
    }
    let writesPerSec = 0;
    let idleWrites = 0;
    for (let w = readers; w < workerCount; w++) {
      writesPerSec += ratePerSec(busyFrom, busyTo, w);
      idleWrites += ((idleTo.counts[w] ?? 0) - (idleFrom.counts[w] ?? 0)) >>> 0;
    }
    let scans = 0;
    let writes = 0;
    let publishes = 0;
    let invalidStatusReads = 0;
    let invalidObservationReads = 0;
    let sequenceRegressions = 0;
    for (const t of totals) {
      if (t.role === 'reader') {
        scans += t.scans;
        invalidStatusReads += t.invalidStatusReads;
        invalidObservationReads += t.invalidObservationReads;
        sequenceRegressions += t.sequenceRegressions;
      } else {
        writes += t.writes;
        publishes += t.publishes;
      }
    }
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const idleScansPerSec = mean(idleByReader);
    const busyScansPerSec = mean(busyByReader);
    const cpus = availableParallelism();
    const figures: TableContention = {
      capacity,
      vantages,
      readers,
      writers,
      cpus,
      oversubscribed: workerCount > cpus,
      idleMs: idleTo.at - idleFrom.at,
      busyMs: busyTo.at - busyFrom.at,
      idleScansPerSec,
      busyScansPerSec,
      idleScansPerSecByReader: idleByReader,
      busyScansPerSecByReader: busyByReader,
      busyOverIdle: busyScansPerSec / idleScansPerSec,
      writesPerSec,
      idleWrites,
      scans,
      writes,
      publishes,
      invalidReads: invalidStatusReads + invalidObservationReads + sequenceRegressions,
      invalidStatusReads,
      invalidObservationReads,
      sequenceRegressions,
      finalInvalidValues: countInvalidValues(status, observation),
      finalSequence: status.sequence,
    };
    return { figures, status, observation };
  } finally {
    // On success every worker has exited already; on failure, stop the rest.
    stopAll(control);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

/** The figures of one idle-then-busy run; see `TableContention`. */
export async function measureTableContention(opts: TableContentionOptions): Promise<TableContention> {
  return (await runTableContention(opts)).figures;
}
