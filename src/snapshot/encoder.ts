import { randomInt } from 'node:crypto';
import os from 'node:os';
import { UrndError } from '../errors.js';
import type { ObservationTable } from '../table/observation-table.js';
import type { StatusTable } from '../table/status-table.js';
import { OBSERVATIONS_BODY_VERSION, STATUS_BODY_VERSION, encodeSnapshot } from './frame.js';

/** A fresh sender epoch: a random uint32. */
export function newEpoch(): number {
  return randomInt(0, 0x1_0000_0000);
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

export interface SnapshotEncoderOptions {
  cell: string;
  /** Version of the config document applied; update `configVersion` when it changes. */
  configVersion: string;
  /** HMAC-SHA256 key shared with the receivers; without one frames carry a CRC32C. */
  key?: Uint8Array;
  /** Default: `newEpoch()`. Pass one only in tests. */
  epoch?: number;
  /** Sequence of the first frame. Default 1. */
  firstSequence?: number;
  /**
   * Observation frames: the vantage number to stamp on them — the row this
   * vantage point's vector belongs in at the aggregators. Default: the local
   * row it is read from.
   */
  vantage?: number;
}

/**
 * The sender side of one stream of frames: an aggregator's status frames, or
 * a checker vantage point's observation vectors. Holds the epoch and counts
 * the sequence, so every frame it encodes is newer than the one before.
 */
export class SnapshotEncoder {
  readonly cell: string;
  readonly epoch: number;
  /** Stamped on observation frames instead of the local row, if set. */
  readonly vantage: number | undefined;
  configVersion: string;
  private readonly key: Uint8Array | undefined;
  private nextSequence: number;
  /** One observation payload (words, then reasons), reused (sized on first use). */
  private scratch: Uint8Array | null = null;

  constructor(options: SnapshotEncoderOptions) {
    this.cell = options.cell;
    this.configVersion = options.configVersion;
    this.key = options.key;
    this.epoch = options.epoch ?? newEpoch();
    this.nextSequence = options.firstSequence ?? 1;
    this.vantage = options.vantage;
  }

  /** Sequence the next frame will carry. */
  get sequence(): number {
    return this.nextSequence;
  }

  /**
   * A status frame of the whole table. Call it on the thread that writes the
   * table, between ticks: the payload is copied from the shared buffer as it
   * stands, so a tick running meanwhile would be caught half-way.
   */
  encodeStatus(table: StatusTable, generatedAtMs: number = Date.now()): Buffer {
    return encodeSnapshot(
      {
        version: STATUS_BODY_VERSION,
        cell: this.cell,
        kind: 'status',
        epoch: this.epoch,
        sequence: this.nextSequence++,
        generatedAtMs: Math.trunc(generatedAtMs),
        capacity: table.capacity,
        configVersion: this.configVersion,
        payload: table.statuses,
      },
      this.key,
    );
  }

  /**
   * An observation frame of local row `row`, stamped with the encoder's
   * `vantage` (default: `row`): the words, then their failure reasons (body
   * version 2). The row is gathered first with one whole-word load per slot
   * (checkers keep writing it: each word read is one a checker wrote, never
   * half of one), reasons after words (a checker stores a reason before its
   * word, so a failure word shipped comes with its reason or a newer one),
   * then encoded little-endian.
   */
  encodeObservations(table: ObservationTable, row: number, generatedAtMs: number = Date.now()): Buffer {
    if (!Number.isInteger(row) || row < 0 || row >= table.vantages) {
      throw new UrndError('URND_ERR_ARGUMENT', `row: ${String(row)} is outside 0..${table.vantages - 1}`);
    }
    const payload = this.gather(table.row(row), table.reasonRow(row));
    return encodeSnapshot(
      {
        version: OBSERVATIONS_BODY_VERSION,
        cell: this.cell,
        kind: 'observations',
        vantage: this.vantage ?? row,
        epoch: this.epoch,
        sequence: this.nextSequence++,
        generatedAtMs: Math.trunc(generatedAtMs),
        capacity: table.capacity,
        configVersion: this.configVersion,
        payload,
      },
      this.key,
    );
  }

  /** Copies a shared row and its reasons into the scratch payload, little-endian. */
  private gather(row: Int32Array, reasonRow: Uint16Array): Uint8Array {
    const n = row.length;
    if (this.scratch === null || this.scratch.length !== 6 * n) this.scratch = new Uint8Array(6 * n);
    const out = this.scratch;
    if (LITTLE_ENDIAN) {
      // Aligned element reads of a shared buffer never tear (ECMAScript's NoTear).
      const words = new Int32Array(out.buffer, 0, n);
      for (let i = 0; i < n; i++) words[i] = row[i] as number;
      const reasons = new Uint16Array(out.buffer, 4 * n, n);
      for (let i = 0; i < n; i++) reasons[i] = reasonRow[i] as number;
    } else {
      const dv = new DataView(out.buffer);
      for (let i = 0; i < n; i++) dv.setInt32(4 * i, row[i] as number, true);
      for (let i = 0; i < n; i++) dv.setUint16(4 * n + 2 * i, reasonRow[i] as number, true);
    }
    return out;
  }
}
