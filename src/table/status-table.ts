import { UrndError } from '../errors.js';
import {
  DEFAULT_CAPACITY,
  HEADER_BYTES,
  MAX_CAPACITY,
  MIN_CAPACITY,
  STATUS_COUNT,
  STATUS_MAGIC,
  kStatusCapacityWord,
  kStatusMagicWord,
  kStatusSequenceWord,
  kStatusUpdatedAtBigWord,
  statusTableBytes,
  type Status,
} from './layout.js';

/** Throws URND_ERR_CAPACITY unless 1 ≤ capacity ≤ 1,048,576 and whole. */
export function checkCapacity(capacity: number, field = 'capacity'): void {
  if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
    throw new UrndError(
      'URND_ERR_CAPACITY',
      `${field}: ${String(capacity)} is not a whole number from ${MIN_CAPACITY} to ${MAX_CAPACITY}`,
    );
  }
}

/**
 * The status of every slot of a cell: one byte a slot on a SharedArrayBuffer
 * that any worker thread can be handed (`buffer`) and re-open with
 * `StatusTable.attach`. Capacity is fixed at creation; unused slots are
 * dummies that stay UNKNOWN and are still scanned and shipped.
 *
 * Readers take no lock: a status is one byte, so a read sees a byte somebody
 * wrote, old or new, never a mix. Writers store statuses, then `publish()`,
 * whose atomic sequence bump orders those stores before it for any reader
 * that loads the sequence.
 */
export class StatusTable {
  /** The shared memory; hand it to workers and `attach` there. */
  readonly buffer: SharedArrayBuffer;
  /** Number of slots, fixed for the table's life. */
  readonly capacity: number;
  /** One status byte per slot (0 unknown, 1 healthy, 2 unhealthy). Read freely. */
  readonly statuses: Uint8Array;
  private readonly header: Int32Array;
  private readonly headerBig: BigInt64Array;

  private constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.buffer = buffer;
    this.capacity = capacity;
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.headerBig = new BigInt64Array(buffer, 0, HEADER_BYTES / 8);
    this.statuses = new Uint8Array(buffer, HEADER_BYTES, capacity);
  }

  /** A new table of `capacity` slots, every one UNKNOWN, sequence 0. */
  static create(capacity: number = DEFAULT_CAPACITY): StatusTable {
    checkCapacity(capacity);
    const buffer = new SharedArrayBuffer(statusTableBytes(capacity));
    const table = new StatusTable(buffer, capacity);
    table.header[kStatusCapacityWord] = capacity;
    // Magic last: a buffer with the magic set has its capacity written.
    Atomics.store(table.header, kStatusMagicWord, STATUS_MAGIC);
    return table;
  }

  /** Opens a table another thread created, checking its header. */
  static attach(buffer: SharedArrayBuffer): StatusTable {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES + MIN_CAPACITY) {
      throw new UrndError('URND_ERR_TABLE_LAYOUT', 'status table: not a SharedArrayBuffer of a status table');
    }
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const magic = Atomics.load(header, kStatusMagicWord);
    const capacity = header[kStatusCapacityWord] ?? 0;
    if (magic !== STATUS_MAGIC || buffer.byteLength !== statusTableBytes(capacity)) {
      throw new UrndError(
        'URND_ERR_TABLE_LAYOUT',
        `status table: bad header (magic ${magic >>> 0}, capacity ${capacity}, ${buffer.byteLength} bytes)`,
      );
    }
    return new StatusTable(buffer, capacity);
  }

  /** The status of one slot. */
  get(slot: number): Status {
    this.checkSlot(slot);
    return this.statuses[slot] as Status;
  }

  /** Sets one slot's status; call `publish()` when a batch of sets is done. */
  set(slot: number, status: Status): void {
    this.checkSlot(slot);
    if (!Number.isInteger(status) || status < 0 || status >= STATUS_COUNT) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `status: ${String(status)} is not a status (0 unknown, 1 healthy, 2 unhealthy)`,
      );
    }
    this.statuses[slot] = status;
  }

  /** Sets every slot to `status` (tests, demos, resets). */
  fill(status: Status): void {
    this.statuses.fill(status);
  }

  /**
   * Marks the statuses written so far as one update: stamps the time, then
   * bumps the sequence. Returns the new sequence.
   */
  publish(nowMs: number = Date.now()): number {
    Atomics.store(this.headerBig, kStatusUpdatedAtBigWord, BigInt(Math.trunc(nowMs)));
    // Stored last, so a reader that sees the new sequence sees every status
    // and the timestamp written before it.
    return Atomics.add(this.header, kStatusSequenceWord, 1) + 1;
  }

  /** Number of `publish()` calls so far (wraps at 2^31). */
  get sequence(): number {
    return Atomics.load(this.header, kStatusSequenceWord);
  }

  /** Time of the last `publish()`, ms since the epoch; 0 if never. */
  get updatedAt(): number {
    return Number(Atomics.load(this.headerBig, kStatusUpdatedAtBigWord));
  }

  /** Counts of slots per status: [unknown, healthy, unhealthy]. Scans every slot. */
  counts(): [number, number, number] {
    let unknown = 0;
    let healthy = 0;
    let unhealthy = 0;
    const s = this.statuses;
    for (let i = 0; i < s.length; i++) {
      const v = s[i] as number;
      unknown += v === 0 ? 1 : 0;
      healthy += v === 1 ? 1 : 0;
      unhealthy += v === 2 ? 1 : 0;
    }
    return [unknown, healthy, unhealthy];
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new UrndError('URND_ERR_ARGUMENT', `slot: ${String(slot)} is outside 0..${this.capacity - 1}`);
    }
  }
}
