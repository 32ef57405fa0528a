import { UrndError } from '../errors.js';
import {
  HEADER_BYTES,
  MAX_CAPACITY,
  MAX_VANTAGES,
  OBSERVATION_MAGIC,
  kObsCapacityWord,
  kObsMagicWord,
  kObsVantageWord,
  observationReasonsOffset,
  observationTableBytes,
  type Result,
} from './layout.js';
import { checkCapacity } from './status-table.js';
import { nextObservation } from './observation-word.js';

/**
 * What each vantage point last observed of each slot: vantages × capacity
 * 32-bit words on one SharedArrayBuffer (layout.ts draws a word). Checkers
 * write with `Atomics.store`, the aggregator reads with `Atomics.load`; one
 * store publishes a whole observation, so a reader never sees half of one.
 */
export class ObservationTable {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly vantages: number;
  /** All rows back to back: vantage v, slot s is `words[v * capacity + s]`. */
  readonly words: Int32Array;
  /**
   * Each word's failure reason (layout.ts draws one), laid out like `words`:
   * why that vantage's latest probe of the slot failed, 0 when it did not.
   */
  readonly reasons: Uint16Array;

  private constructor(buffer: SharedArrayBuffer, vantages: number, capacity: number) {
    this.buffer = buffer;
    this.vantages = vantages;
    this.capacity = capacity;
    this.words = new Int32Array(buffer, HEADER_BYTES, vantages * capacity);
    this.reasons = new Uint16Array(buffer, observationReasonsOffset(vantages, capacity), vantages * capacity);
  }

  /** A new table, every word 0 ("never observed"). */
  static create(capacity: number, vantages = 1): ObservationTable {
    checkCapacity(capacity);
    if (!Number.isInteger(vantages) || vantages < 1 || vantages > MAX_VANTAGES) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `vantages: ${String(vantages)} is not a whole number from 1 to ${MAX_VANTAGES}`,
      );
    }
    const buffer = new SharedArrayBuffer(observationTableBytes(vantages, capacity));
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[kObsCapacityWord] = capacity;
    header[kObsVantageWord] = vantages;
    Atomics.store(header, kObsMagicWord, OBSERVATION_MAGIC);
    return new ObservationTable(buffer, vantages, capacity);
  }

  /** Opens a table another thread created, checking its header. */
  static attach(buffer: SharedArrayBuffer): ObservationTable {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
      throw new UrndError(
        'URND_ERR_TABLE_LAYOUT',
        'observation table: not a SharedArrayBuffer of an observation table',
      );
    }
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const magic = Atomics.load(header, kObsMagicWord);
    const capacity = header[kObsCapacityWord] ?? 0;
    const vantages = header[kObsVantageWord] ?? 0;
    const shapeOk = vantages >= 1 && vantages <= MAX_VANTAGES && capacity >= 1 && capacity <= MAX_CAPACITY;
    if (magic !== OBSERVATION_MAGIC || !shapeOk || buffer.byteLength !== observationTableBytes(vantages, capacity)) {
      throw new UrndError(
        'URND_ERR_TABLE_LAYOUT',
        `observation table: bad header (magic ${magic >>> 0}, ${vantages} × ${capacity}, ${buffer.byteLength} bytes)`,
      );
    }
    return new ObservationTable(buffer, vantages, capacity);
  }

  /** The word index of (vantage, slot). */
  index(vantage: number, slot: number): number {
    return vantage * this.capacity + slot;
  }

  /** Loads one observation word. */
  load(vantage: number, slot: number): number {
    return Atomics.load(this.words, this.index(vantage, slot));
  }

  /** Stores one packed observation word. */
  store(vantage: number, slot: number, word: number): void {
    Atomics.store(this.words, this.index(vantage, slot), word);
  }

  /**
   * Records a probe result for (vantage, slot), continuing or restarting the
   * run count. Only the slot's owner writes it, so load-then-store is safe.
   */
  record(vantage: number, slot: number, result: Result, latencyUs: number, reason = 0): number {
    const i = this.index(vantage, slot);
    const word = nextObservation(Atomics.load(this.words, i), result, latencyUs);
    // The reason first: a reader that sees this word sees this reason (or a newer one).
    Atomics.store(this.reasons, i, reason);
    Atomics.store(this.words, i, word);
    return word;
  }

  /** Loads one failure reason word (0: none). */
  reason(vantage: number, slot: number): number {
    return Atomics.load(this.reasons, this.index(vantage, slot));
  }

  /** A view of one vantage point's row (capacity words), sharing memory. */
  row(vantage: number): Int32Array {
    return this.words.subarray(vantage * this.capacity, (vantage + 1) * this.capacity);
  }

  /** A view of one vantage point's failure reasons (capacity reason words), sharing memory. */
  reasonRow(vantage: number): Uint16Array {
    return this.reasons.subarray(vantage * this.capacity, (vantage + 1) * this.capacity);
  }
}
