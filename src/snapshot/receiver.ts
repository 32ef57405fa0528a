import os from 'node:os';
import { UrndError } from '../errors.js';
import type { ObservationTable } from '../table/observation-table.js';
import type { StatusTable } from '../table/status-table.js';
import { decodeSnapshot, type DecodeExpectations, type SnapshotFrame } from './frame.js';
import { REJECT_REASONS, SnapshotError, type RejectReason, type RejectedFrameInfo } from './snapshot-error.js';

/**
 * Receivers: apply frames to local tables, or keep the last good table.
 *
 * A frame is applied only once it has passed every check — size, header,
 * trailer, body, cell, capacity, kind, and "newer than what I have" — so a
 * rejected frame never touches the table. Nothing is thrown: `receive`
 * returns what happened, counts it, and the next good frame heals whatever
 * was lost (every frame is the whole table).
 *
 * "Newer" (the sender-restart rule). Every sender picks a random epoch when
 * it starts and counts its sequence up from 1 within it.
 *   - Same epoch as the last applied frame: newer iff sequence is greater.
 *   - Another epoch (a restarted sender, or a second replica pushing the
 *     same cell): newer iff its generatedAtMs is later than the last applied
 *     frame's — a restarted sender's clock has moved on, while a replayed or
 *     delayed frame from an older epoch has not.
 *   - Another epoch whose clock is behind (clock stepped back on restart):
 *     accepted once the table has had no good frame for `epochGraceMs`.
 * So a restart is recognised on its first frame, with no waiting, and a
 * frame that arrives late is never applied over a newer one.
 */

export interface ReceiverOptions {
  /** The cell this receiver serves; frames of another cell are rejected. */
  cell: string;
  /** HMAC-SHA256 key shared with the senders. With a key, unsigned frames are rejected; without, signed ones. */
  key?: Uint8Array;
  /** Longest frame accepted, bytes. Default: payload + 64 KiB. */
  maxBytes?: number;
  /** The senders' tick, ms, for `ticksBehind`. Default 1000. */
  tickMs?: number;
  /** A frame of a new epoch with an older generatedAt is accepted after this long without a good frame. Default 10,000 ms. */
  epochGraceMs?: number;
}

/** Frames received, applied, and rejected per reason. */
export type ReceiverCounters = Record<'received' | 'applied' | RejectReason, number>;

/** What `receive` did with a frame. */
export type ReceiveOutcome =
  | { readonly applied: true; readonly frame: SnapshotFrame }
  | { readonly applied: false; readonly error: SnapshotError };

/** Rejections of bytes no sender vouched for: damaged, forged, or not a frame at all. */
const NOT_GENUINE: ReadonlySet<RejectReason> = new Set<RejectReason>([
  'truncated',
  'oversized',
  'malformed',
  'version',
  'checksum',
  'auth',
]);

/**
 * Whether a frame came from a sender holding the cell's key (or, unkeyed,
 * one that built an intact frame): applied, or intact but not applicable
 * here (stale, another cell, …). What a FrameListener handler returns, so
 * that a connection sending junk is closed and a genuine one is kept.
 */
export function isGenuine(out: ReceiveOutcome): boolean {
  return out.applied || !NOT_GENUINE.has(out.error.reason);
}

/** How stale the local table is. */
export interface Staleness {
  /** Seconds since a frame was last applied, by this process's clock; null before the first. */
  secondsSinceLastGood: number | null;
  /** Seconds from the applied frame's generatedAt to now (includes clock skew between the hosts); null before the first. */
  dataAgeSeconds: number | null;
  /** Sequence and epoch of the applied frame; null before the first. */
  lastSequence: number | null;
  epoch: number | null;
  /** Config version the applied frame was built with; null before the first. */
  configVersion: string | null;
  /**
   * Measured: the newest sequence that arrived intact from the current epoch
   * but could not be applied (e.g. rejected for capacity after a config
   * change) minus the applied one. 0 while every intact frame is applied.
   */
  sequenceLag: number;
  /**
   * Estimated: whole sender ticks since the last good frame arrived — how
   * many frames a live sender has made that have not reached the table
   * (0 or 1 on a healthy link). null before the first frame.
   */
  ticksBehind: number | null;
}

function zeroCounters(): ReceiverCounters {
  const c = { received: 0, applied: 0 } as ReceiverCounters;
  for (const r of REJECT_REASONS) c[r] = 0;
  return c;
}

/** The applied state of one stream of frames (one sender role: a cell's status, or one vantage row). */
class StreamState {
  epoch = -1;
  sequence = -1;
  generatedAtMs = -1;
  receivedAtMs = -1;
  configVersion: string | null = null;
  newestSeen = -1;

  /** Null if `frame` is newer than the applied one, else the STALE error. */
  check(frame: SnapshotFrame, nowMs: number, graceMs: number): SnapshotError | null {
    if (this.receivedAtMs < 0) return null;
    const info: RejectedFrameInfo = { cell: frame.cell, epoch: frame.epoch, sequence: frame.sequence };
    if (frame.epoch === this.epoch) {
      if (frame.sequence > this.sequence) return null;
      return new SnapshotError(
        'stale',
        `sequence ${frame.sequence} is not after the applied ${this.sequence} (epoch ${frame.epoch})`,
        info,
      );
    }
    if (frame.generatedAtMs > this.generatedAtMs) return null;
    if (nowMs - this.receivedAtMs >= graceMs) return null;
    return new SnapshotError(
      'stale',
      `epoch ${frame.epoch} frame generated at ${frame.generatedAtMs} is not newer than the applied one (epoch ${this.epoch}, generated at ${this.generatedAtMs})`,
      info,
    );
  }

  accept(frame: SnapshotFrame, nowMs: number): void {
    if (frame.epoch !== this.epoch) this.newestSeen = -1;
    this.epoch = frame.epoch;
    this.sequence = frame.sequence;
    this.generatedAtMs = frame.generatedAtMs;
    this.receivedAtMs = nowMs;
    this.configVersion = frame.configVersion;
    if (frame.sequence > this.newestSeen) this.newestSeen = frame.sequence;
  }

  /** An intact frame of this stream that could not be applied (capacity): remember how far the sender is. */
  seen(info: RejectedFrameInfo): void {
    if (info.epoch === this.epoch && info.sequence > this.newestSeen) this.newestSeen = info.sequence;
  }

  staleness(nowMs: number, tickMs: number): Staleness {
    if (this.receivedAtMs < 0) {
      return {
        secondsSinceLastGood: null,
        dataAgeSeconds: null,
        lastSequence: null,
        epoch: null,
        configVersion: null,
        sequenceLag: 0,
        ticksBehind: null,
      };
    }
    const sinceMs = Math.max(0, nowMs - this.receivedAtMs);
    return {
      secondsSinceLastGood: sinceMs / 1000,
      dataAgeSeconds: (nowMs - this.generatedAtMs) / 1000,
      lastSequence: this.sequence,
      epoch: this.epoch,
      configVersion: this.configVersion,
      sequenceLag: Math.max(0, this.newestSeen - this.sequence),
      ticksBehind: Math.floor(sinceMs / tickMs),
    };
  }
}

/** Shared by both receivers: decode, the newer-than check, counting. */
abstract class FrameReceiver {
  /** Frames received, applied, and rejected per reason (`SnapshotError.reason`). */
  readonly counters: ReceiverCounters = zeroCounters();
  /** The last rejection, or null. */
  lastError: SnapshotError | null = null;
  protected readonly expect: DecodeExpectations;
  protected readonly key: Uint8Array | undefined;
  protected readonly tickMs: number;
  protected readonly graceMs: number;

  protected constructor(options: ReceiverOptions, capacity: number, kind: 'status' | 'observations') {
    if (typeof options.cell !== 'string') throw new UrndError('URND_ERR_ARGUMENT', 'receiver: cell must be a string');
    this.expect = {
      cell: options.cell,
      capacity,
      kind,
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    };
    this.key = options.key;
    this.tickMs = positive(options.tickMs ?? 1000, 'tickMs');
    this.graceMs = positive(options.epochGraceMs ?? 10_000, 'epochGraceMs');
  }

  /**
   * Decodes `bytes` and, if the frame is intact, expected and newer, applies
   * it. Never throws for a bad frame: the outcome says what happened.
   */
  receive(bytes: Uint8Array, nowMs: number = Date.now()): ReceiveOutcome {
    this.counters.received++;
    let frame: SnapshotFrame;
    try {
      frame = decodeSnapshot(bytes, this.expect, this.key);
    } catch (err) {
      const error =
        err instanceof SnapshotError
          ? err
          : new SnapshotError('malformed', String((err as Error)?.message ?? err), undefined, { cause: err });
      if (error.reason === 'capacity' && error.frame !== undefined)
        this.streamFor(error.frame.vantage)?.seen(error.frame);
      return this.reject(error);
    }
    const stream = this.streamFor(frame.vantage);
    if (stream === null)
      return this.reject(
        new SnapshotError('vantage', `vantage ${String(frame.vantage)} is not a row this receiver accepts`, {
          cell: frame.cell,
          epoch: frame.epoch,
          sequence: frame.sequence,
        }),
      );
    const stale = stream.check(frame, nowMs, this.graceMs);
    if (stale !== null) return this.reject(stale);
    this.apply(frame);
    stream.accept(frame, nowMs);
    this.counters.applied++;
    return { applied: true, frame };
  }

  /** The stream a frame belongs to; null for a vantage not accepted. */
  protected abstract streamFor(vantage: number | undefined): StreamState | null;
  /** Copies a checked, newer frame's payload into the table. */
  protected abstract apply(frame: SnapshotFrame): void;

  private reject(error: SnapshotError): ReceiveOutcome {
    this.counters[error.reason]++;
    this.lastError = error;
    return { applied: false, error };
  }
}

/**
 * Applies status frames to a StatusTable: a DNS server's (or any reader's)
 * side of the aggregator's push. On a good frame: copy the payload into
 * `statuses` (one memcpy), then `publish(frame.generatedAtMs)`. On anything
 * else: count it and leave the table as it was — resolvers keep answering
 * from the last good table, and `staleness()` says how old it is.
 */
export class SnapshotReceiver extends FrameReceiver {
  readonly table: StatusTable;
  private readonly stream = new StreamState();

  constructor(table: StatusTable, options: ReceiverOptions) {
    super(options, table.capacity, 'status');
    this.table = table;
  }

  /** How stale the table is, at `nowMs`. */
  staleness(nowMs: number = Date.now()): Staleness {
    return this.stream.staleness(nowMs, this.tickMs);
  }

  protected streamFor(): StreamState {
    return this.stream;
  }

  protected apply(frame: SnapshotFrame): void {
    // Byte stores: a resolver reading meanwhile sees each slot old or new, never torn.
    this.table.statuses.set(frame.payload);
    this.table.publish(frame.generatedAtMs);
  }
}

export interface ObservationReceiverOptions extends ReceiverOptions {
  /** Vantage rows remote senders may write. Default: every row of the table. Leave out the rows local checkers write. */
  acceptVantages?: readonly number[];
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * Applies observation frames from remote checker vantage points to the rows
 * of an aggregator's ObservationTable, one stream (epoch, sequence,
 * staleness) per vantage row. Each word is stored whole (an aligned Int32
 * element store), so an aggregator tick reading meanwhile sees each slot's
 * old or new observation, never half of one.
 */
export class ObservationReceiver extends FrameReceiver {
  readonly table: ObservationTable;
  private readonly streams: (StreamState | null)[];

  constructor(table: ObservationTable, options: ObservationReceiverOptions) {
    super(options, table.capacity, 'observations');
    this.table = table;
    const accept = options.acceptVantages ?? Array.from({ length: table.vantages }, (_, v) => v);
    this.streams = Array.from({ length: table.vantages }, () => null);
    for (const v of accept) {
      if (!Number.isInteger(v) || v < 0 || v >= table.vantages) {
        throw new UrndError(
          'URND_ERR_ARGUMENT',
          `acceptVantages: ${String(v)} is not a row of a ${table.vantages}-vantage table`,
        );
      }
      this.streams[v] = new StreamState();
    }
  }

  /** How stale one vantage row is, at `nowMs`. */
  staleness(vantage: number, nowMs: number = Date.now()): Staleness {
    const s = this.streams[vantage];
    if (s === undefined || s === null)
      throw new UrndError('URND_ERR_ARGUMENT', `vantage: ${String(vantage)} is not a row this receiver accepts`);
    return s.staleness(nowMs, this.tickMs);
  }

  protected streamFor(vantage: number | undefined): StreamState | null {
    if (vantage === undefined) return null;
    return this.streams[vantage] ?? null;
  }

  protected apply(frame: SnapshotFrame): void {
    const vantage = frame.vantage as number;
    const row = this.table.row(vantage);
    const reasonRow = this.table.reasonRow(vantage);
    const p = frame.payload;
    const n = row.length;
    // Reasons first, as a checker stores them: a tick reading meanwhile sees
    // a failure word with its reason or a newer one. A version 1 frame (an
    // older checker) has none: every reason "none", the same fill every frame.
    if (frame.version === 1) reasonRow.fill(0);
    else if (LITTLE_ENDIAN && ((p.byteOffset + 4 * n) & 1) === 0)
      reasonRow.set(new Uint16Array(p.buffer, p.byteOffset + 4 * n, n));
    else for (let i = 0, j = 4 * n; i < n; i++, j += 2) reasonRow[i] = (p[j] as number) | ((p[j + 1] as number) << 8);
    if (LITTLE_ENDIAN && (p.byteOffset & 3) === 0) {
      const words = new Int32Array(p.buffer, p.byteOffset, n);
      for (let i = 0; i < n; i++) row[i] = words[i] as number;
    } else {
      // Unaligned payload (or a big-endian host): assemble each little-endian word from its bytes.
      for (let i = 0, j = 0; i < n; i++, j += 4) {
        row[i] =
          (p[j] as number) | ((p[j + 1] as number) << 8) | ((p[j + 2] as number) << 16) | ((p[j + 3] as number) << 24);
      }
    }
  }
}

function positive(v: number, name: string): number {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v)))
    throw new UrndError('URND_ERR_ARGUMENT', `receiver: ${name} must be a positive number of ms`);
  return v;
}
