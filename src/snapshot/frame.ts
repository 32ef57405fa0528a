import { createHmac, timingSafeEqual } from 'node:crypto';
import { Packr, RESET_BUFFER_MODE, Unpackr } from 'msgpackr';
import { UrndError } from '../errors.js';
import { MAX_CAPACITY, MAX_VANTAGES, MIN_CAPACITY } from '../table/layout.js';
import { crc32c } from './crc32c.js';
import { SnapshotError, type RejectedFrameInfo } from './snapshot-error.js';

/**
 * Snapshot frames: one whole table (or one vantage point's observation
 * vector) per frame, the same size whatever the health state.
 *
 *   byte 0      4     5       6     7      8            12         12+P                      12+P+L        +T
 *   ┌──────────┬─────┬───────┬─────┬──────┬────────────┬──────────┬─────────────────────────┬─────────────┐
 *   │ magic    │ ver │ flags │ pad │ rsvd │ body length│ P zero   │ msgpack body (L bytes): │ trailer     │
 *   │ "URSF"   │  1  │ bit 0:│  P  │  0   │ L, u32 BE  │ bytes    │ a map, payload last     │ CRC32C: 4   │
 *   │          │     │ HMAC  │ 0…7 │      │            │          │ as bin32 (C or 6C bytes)│ HMAC: 32    │
 *   └──────────┴─────┴───────┴─────┴──────┴────────────┴──────────┴─────────────────────────┴─────────────┘
 *   the trailer covers bytes [0, 12+P+L): header, padding and body
 *
 * The body is a msgpack map (map16, keys in this order): version (1 for
 * status, 2 for observations: see OBSERVATIONS_BODY_VERSION), cell,
 * kind, vantage (observation frames only), epoch, sequence, generatedAtMs,
 * capacity, configVersion, payload. Fixed widths, so that a frame's size is
 * a function of (cell, configVersion, capacity, kind, keyed) only — never of
 * health, sequence or time:
 *   - epoch, sequence and generatedAtMs are always int64 (9 bytes): msgpackr
 *     would otherwise pick the shortest integer, and a frame would grow when
 *     the sequence passed 127;
 *   - the payload is always bin32 (msgpackr picks bin8/16/32 by length);
 *   - P pads so that the payload's first byte sits at a multiple of 8 in the
 *     frame. A copy into or out of a SharedArrayBuffer is word-wise only when
 *     source and target agree on alignment: 1 MiB copies in ~60–100 µs
 *     aligned, 530–750 µs at an offset of 1 or 4 (one run, this machine).
 *
 * msgpackr packs the fields; the payload entry's bin32 header and bytes are
 * then written straight into the frame, so the payload is copied once on
 * encode (table → frame) and not at all on decode (the decoded payload is a
 * view into the frame).
 *
 * The trailer is checked before the body is parsed: a corrupted frame is
 * never handed to the msgpack decoder, and a keyed receiver parses nothing a
 * key-holder did not write. CRC32C detects corruption, not forgery: configure
 * a key wherever someone else can reach the receiver's port.
 */

/** "URSF" (urnd snapshot frame), bytes 0..3 of every frame. */
export const FRAME_MAGIC = 0x55525346;
/** The frame layout (header byte 4) this code writes and reads. */
export const FRAME_VERSION = 1;
/**
 * Body versions. Status frames are 1. Observation frames are 2 since they
 * carry each word's failure reason after the words (6C payload bytes); a
 * version 1 observation frame (4C bytes, an older checker) is still read,
 * its reasons taken as "none". An older aggregator rejects version 2 as
 * `version`, counted and loud: upgrade aggregators before checkers.
 */
export const STATUS_BODY_VERSION = 1;
export const OBSERVATIONS_BODY_VERSION = 2;
export type BodyVersion = 1 | 2;
/** Fixed header bytes, before the 0–7 padding bytes. */
export const FRAME_HEADER_BYTES = 12;
export const CRC_TRAILER_BYTES = 4;
export const HMAC_TRAILER_BYTES = 32;
/** Flags bit 0: the trailer is HMAC-SHA256 (else CRC32C). No other bit is defined. */
export const FLAG_HMAC = 0x01;
/** The payload starts at a multiple of this in the frame. */
export const PAYLOAD_ALIGNMENT = 8;

// Byte offsets in the header.
const kMagicOffset = 0;
const kVersionOffset = 4;
const kFlagsOffset = 5;
const kPadOffset = 6;
const kReservedOffset = 7;
const kBodyLengthOffset = 8;

/** msgpack: bin32 marker, bin8 marker (msgpackr's choice for the empty placeholder). */
const BIN32 = 0xc6;
const BIN8 = 0xc4;
const BIN32_HEADER_BYTES = 5;
const EMPTY = new Uint8Array(0);

/** Bytes allowed on top of the payload by default (cell name, config version, keys). */
export const DEFAULT_FRAME_OVERHEAD_BYTES = 64 * 1024;

export type FrameKind = 'status' | 'observations';

/** One snapshot, as encoded and decoded. */
export interface SnapshotFrame {
  /** Body version: 1 for status frames; 2 (or an older sender's 1) for observation frames. */
  version: BodyVersion;
  /** The cell's name; a receiver rejects frames of another cell. */
  cell: string;
  /** A status table, or one vantage point's observation vector. */
  kind: FrameKind;
  /** Observation frames only: the vantage row (0 … 63) the vector belongs in. */
  vantage?: number;
  /**
   * The sender's epoch: a random uint32 picked when the sender starts. A
   * sequence is only compared with sequences of the same epoch, so a sender
   * that restarts (sequence back to 1) is recognised as new, not as stale.
   */
  epoch: number;
  /** Counts up by one per frame within an epoch (a non-negative safe integer). */
  sequence: number;
  /** When the sender built the table, ms since the epoch (the sender's clock). */
  generatedAtMs: number;
  /** Slots of the cell. */
  capacity: number;
  /** Version of the config document the sender had applied. */
  configVersion: string;
  /**
   * status: `capacity` status bytes; observations: `4 × capacity` bytes, the
   * Int32 observation words little-endian, then (version 2) `2 × capacity`
   * bytes, each word's Uint16 failure reason little-endian. Decoded frames:
   * a view into the decoded bytes (not a copy), valid as long as those
   * bytes are.
   */
  payload: Uint8Array;
}

/** What a receiver expects of a frame. */
export interface DecodeExpectations {
  cell: string;
  capacity: number;
  /** Default: either kind. */
  kind?: FrameKind;
  /** Longest frame accepted, bytes. Default: payload bytes + 64 KiB. */
  maxBytes?: number;
}

/** Payload bytes of a frame of `kind` and body `version` (default: the one this code writes) at `capacity`. */
export function payloadBytes(kind: FrameKind, capacity: number, version: BodyVersion = bodyVersionOf(kind)): number {
  return kind === 'status' ? capacity : version === 1 ? 4 * capacity : 6 * capacity;
}

/** The body version this code writes for `kind`. */
export function bodyVersionOf(kind: FrameKind): BodyVersion {
  return kind === 'status' ? STATUS_BODY_VERSION : OBSERVATIONS_BODY_VERSION;
}

/** The default `maxBytes` for frames of `kind` at `capacity`. */
export function defaultMaxFrameBytes(capacity: number, kind: FrameKind = 'observations'): number {
  return payloadBytes(kind, capacity) + DEFAULT_FRAME_OVERHEAD_BYTES;
}

/** True for a body version a frame of `kind` may carry. */
function versionFits(kind: FrameKind, version: unknown): version is BodyVersion {
  return kind === 'status' ? version === STATUS_BODY_VERSION : version === 1 || version === OBSERVATIONS_BODY_VERSION;
}

// One packer and one unpacker for the process. The Packr's scratch buffer is
// reused frame after frame (RESET_BUFFER_MODE) and only ever holds the small
// fields. No records extension: the body is plain msgpack any decoder reads.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/**
 * Encodes a frame: header, padding, msgpack body, and a CRC32C trailer — or,
 * with `key`, an HMAC-SHA256 trailer. Returns a new Buffer each call (a
 * publisher may still be sending the previous one). Throws URND_ERR_ARGUMENT
 * for a frame that breaks the rules in SnapshotFrame.
 */
export function encodeSnapshot(frame: SnapshotFrame, key?: Uint8Array): Buffer {
  checkFrame(frame);
  checkKey(key);
  // The fields, with an empty placeholder payload; BigInt because msgpackr
  // writes a bigint as int64 whatever its value.
  const fields =
    frame.kind === 'observations'
      ? {
          version: frame.version,
          cell: frame.cell,
          kind: frame.kind,
          vantage: frame.vantage,
          epoch: BigInt(frame.epoch),
          sequence: BigInt(frame.sequence),
          generatedAtMs: BigInt(frame.generatedAtMs),
          capacity: frame.capacity,
          configVersion: frame.configVersion,
          payload: EMPTY,
        }
      : {
          version: frame.version,
          cell: frame.cell,
          kind: frame.kind,
          epoch: BigInt(frame.epoch),
          sequence: BigInt(frame.sequence),
          generatedAtMs: BigInt(frame.generatedAtMs),
          capacity: frame.capacity,
          configVersion: frame.configVersion,
          payload: EMPTY,
        };
  const packed = packr.pack(fields, RESET_BUFFER_MODE);
  // The placeholder is the last two bytes (bin8, length 0): drop them, and write bin32 + payload instead.
  const head = packed.length - 2;
  if (packed[head] !== BIN8 || packed[head + 1] !== 0)
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      'snapshot frame: msgpackr did not end the body with the empty payload placeholder',
    );
  const payloadInBody = head + BIN32_HEADER_BYTES;
  const pad = (PAYLOAD_ALIGNMENT - ((FRAME_HEADER_BYTES + payloadInBody) % PAYLOAD_ALIGNMENT)) % PAYLOAD_ALIGNMENT;
  const bodyStart = FRAME_HEADER_BYTES + pad;
  const bodyLength = payloadInBody + frame.payload.length;
  const bodyEnd = bodyStart + bodyLength;
  const trailerBytes = key === undefined ? CRC_TRAILER_BYTES : HMAC_TRAILER_BYTES;
  // Frames of 4 KiB and up get an ArrayBuffer of their own (offset 0); smaller
  // ones come from Node's pool at 8-aligned offsets: the payload stays aligned.
  const out = Buffer.allocUnsafe(bodyEnd + trailerBytes);
  out.writeUInt32BE(FRAME_MAGIC, kMagicOffset);
  out[kVersionOffset] = FRAME_VERSION;
  out[kFlagsOffset] = key === undefined ? 0 : FLAG_HMAC;
  out[kPadOffset] = pad;
  out[kReservedOffset] = 0;
  out.writeUInt32BE(bodyLength, kBodyLengthOffset);
  out.fill(0, FRAME_HEADER_BYTES, bodyStart);
  out.set(packed.subarray(0, head), bodyStart);
  out[bodyStart + head] = BIN32;
  out.writeUInt32BE(frame.payload.length, bodyStart + head + 1);
  // The one copy of the payload: from the table (often a SharedArrayBuffer) into the frame, both 8-aligned.
  out.set(frame.payload, bodyStart + payloadInBody);
  if (key === undefined) {
    out.writeUInt32BE(crc32c(out, 0, bodyEnd), bodyEnd);
  } else {
    createHmac('sha256', key).update(out.subarray(0, bodyEnd)).digest().copy(out, bodyEnd);
  }
  return out;
}

/**
 * Decodes and checks a frame. Throws a SnapshotError (code
 * URND_ERR_FRAME_*) for anything but a whole, intact frame of the expected
 * cell, capacity and kind. Checks, in order: size (OVERSIZED, TRUNCATED),
 * header (MALFORMED, VERSION), key presence (AUTH), trailer (CHECKSUM or
 * AUTH), padding and body (MALFORMED, VERSION), expectations (KIND, CELL,
 * CAPACITY).
 *
 * The payload of the result is a view into `bytes`: decoding copies nothing
 * payload-sized.
 */
export function decodeSnapshot(bytes: Uint8Array, expect: DecodeExpectations, key?: Uint8Array): SnapshotFrame {
  checkKey(key);
  const maxBytes = expect.maxBytes ?? defaultMaxFrameBytes(expect.capacity, expect.kind);
  if (bytes.length > maxBytes)
    throw new SnapshotError('oversized', `${bytes.length} bytes is over the limit of ${maxBytes}`);
  if (bytes.length < FRAME_HEADER_BYTES)
    throw new SnapshotError('truncated', `${bytes.length} bytes is shorter than a frame header`);
  if (readU32(bytes, kMagicOffset) !== FRAME_MAGIC) throw new SnapshotError('malformed', 'no frame magic');
  if (bytes[kVersionOffset] !== FRAME_VERSION)
    throw new SnapshotError('version', `frame version ${String(bytes[kVersionOffset])}, expected ${FRAME_VERSION}`);
  const flags = bytes[kFlagsOffset] as number;
  const pad = bytes[kPadOffset] as number;
  if ((flags & ~FLAG_HMAC) !== 0 || pad >= PAYLOAD_ALIGNMENT || bytes[kReservedOffset] !== 0) {
    throw new SnapshotError(
      'malformed',
      `header: unknown flags 0x${flags.toString(16)}, padding ${pad} or reserved byte set`,
    );
  }
  const keyed = (flags & FLAG_HMAC) !== 0;
  if (keyed !== (key !== undefined)) {
    throw new SnapshotError(
      'auth',
      keyed ? 'frame is signed (HMAC) but no key is configured' : 'frame is not signed but a key is configured',
    );
  }
  const bodyStart = FRAME_HEADER_BYTES + pad;
  const bodyEnd = bodyStart + readU32(bytes, kBodyLengthOffset);
  const total = bodyEnd + (keyed ? HMAC_TRAILER_BYTES : CRC_TRAILER_BYTES);
  if (total > maxBytes)
    throw new SnapshotError('oversized', `header says ${total} bytes, over the limit of ${maxBytes}`);
  if (bytes.length < total) throw new SnapshotError('truncated', `${bytes.length} bytes of a ${total}-byte frame`);
  if (bytes.length > total)
    throw new SnapshotError('malformed', `${bytes.length - total} bytes after the end of a ${total}-byte frame`);

  if (keyed) {
    const mac = createHmac('sha256', key as Uint8Array)
      .update(bytes.subarray(0, bodyEnd))
      .digest();
    if (!timingSafeEqual(mac, bytes.subarray(bodyEnd, total)))
      throw new SnapshotError('auth', 'HMAC-SHA256 does not match (wrong key, or altered)');
  } else {
    const want = readU32(bytes, bodyEnd);
    const got = crc32c(bytes, 0, bodyEnd);
    if (want !== got)
      throw new SnapshotError('checksum', `CRC32C ${hex(got)} does not match the trailer's ${hex(want)}`);
  }
  for (let i = FRAME_HEADER_BYTES; i < bodyStart; i++)
    if (bytes[i] !== 0) throw new SnapshotError('malformed', 'padding bytes are not zero');

  let body: unknown;
  try {
    body = unpackr.unpack(bytes, { start: bodyStart, end: bodyEnd });
  } catch (err) {
    throw new SnapshotError('malformed', `body is not msgpack: ${(err as Error).message}`, undefined, { cause: err });
  }
  const frame = checkBody(body);
  const info: RejectedFrameInfo = {
    cell: frame.cell,
    epoch: frame.epoch,
    sequence: frame.sequence,
    ...(frame.vantage !== undefined ? { vantage: frame.vantage } : {}),
  };
  if (expect.kind !== undefined && frame.kind !== expect.kind)
    throw new SnapshotError('kind', `a ${frame.kind} frame, expected ${expect.kind}`, info);
  if (frame.cell !== expect.cell)
    throw new SnapshotError(
      'cell',
      `frame of cell ${JSON.stringify(frame.cell)}, expected ${JSON.stringify(expect.cell)}`,
      info,
    );
  if (frame.capacity !== expect.capacity)
    throw new SnapshotError('capacity', `capacity ${frame.capacity}, expected ${expect.capacity}`, info);
  return frame;
}

const BODY_KEYS_STATUS = 9;
const BODY_KEYS_OBSERVATIONS = 10;

/** The body's fields, each checked for type and range. Throws MALFORMED or VERSION. */
function checkBody(body: unknown): SnapshotFrame {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) {
    throw new SnapshotError('malformed', 'body is not a map');
  }
  const b = body as Record<string, unknown>;
  if (typeof b['version'] !== 'number') throw new SnapshotError('malformed', 'body has no version');
  const version = b['version'];
  if (version !== 1 && version !== 2)
    throw new SnapshotError(
      'version',
      `body version ${version}, expected ${STATUS_BODY_VERSION} or ${OBSERVATIONS_BODY_VERSION}`,
    );
  const { cell, kind, vantage, epoch, sequence, generatedAtMs, capacity, configVersion, payload } = b;
  const bad = (what: string): never => {
    throw new SnapshotError('malformed', `body: ${what}`);
  };
  if (typeof cell !== 'string') bad('cell is not a string');
  if (kind !== 'status' && kind !== 'observations') bad('kind is neither status nor observations');
  if (!versionFits(kind as FrameKind, version))
    throw new SnapshotError(
      'version',
      `body version ${version} of a ${kind as string} frame, expected ${bodyVersionOf(kind as FrameKind)}`,
    );
  const fieldCount = Object.keys(b).length;
  if (fieldCount !== (kind === 'status' ? BODY_KEYS_STATUS : BODY_KEYS_OBSERVATIONS))
    bad(`${fieldCount} fields, expected exactly the ${kind as string} frame fields`);
  if (kind === 'observations' && !isIntIn(vantage, 0, MAX_VANTAGES - 1)) bad(`vantage is not 0 … ${MAX_VANTAGES - 1}`);
  if (!isIntIn(epoch, 0, 0xffffffff)) bad('epoch is not a uint32');
  if (!isIntIn(sequence, 0, Number.MAX_SAFE_INTEGER)) bad('sequence is not a non-negative safe integer');
  if (!isIntIn(generatedAtMs, 0, Number.MAX_SAFE_INTEGER)) bad('generatedAtMs is not a non-negative safe integer');
  if (!isIntIn(capacity, MIN_CAPACITY, MAX_CAPACITY)) bad(`capacity is not ${MIN_CAPACITY} … ${MAX_CAPACITY}`);
  if (typeof configVersion !== 'string') bad('configVersion is not a string');
  if (!(payload instanceof Uint8Array)) bad('payload is not binary');
  const p = payload as Uint8Array;
  const k = kind as FrameKind;
  const want = payloadBytes(k, capacity as number, version);
  if (p.length !== want)
    bad(`payload is ${p.length} bytes, a version ${version} ${k} frame of capacity ${capacity as number} has ${want}`);
  const frame: SnapshotFrame = {
    version,
    cell: cell as string,
    kind: k,
    epoch: epoch as number,
    sequence: sequence as number,
    generatedAtMs: generatedAtMs as number,
    capacity: capacity as number,
    configVersion: configVersion as string,
    payload: p,
  };
  if (k === 'observations') frame.vantage = vantage as number;
  return frame;
}

/** Encoder-side check: the same rules, as URND_ERR_ARGUMENT. */
function checkFrame(f: SnapshotFrame): void {
  const bad = (what: string): never => {
    throw new UrndError('URND_ERR_ARGUMENT', `snapshot frame: ${what}`);
  };
  if (typeof f.cell !== 'string') bad('cell is not a string');
  if (f.kind !== 'status' && f.kind !== 'observations')
    bad(`kind ${String(f.kind)} is neither status nor observations`);
  if (!versionFits(f.kind, f.version)) bad(`version ${String(f.version)} is not one a ${f.kind} frame has`);
  if (f.kind === 'observations' ? !isIntIn(f.vantage, 0, MAX_VANTAGES - 1) : f.vantage !== undefined) {
    bad(
      f.kind === 'observations'
        ? `vantage ${String(f.vantage)} is not 0 … ${MAX_VANTAGES - 1}`
        : 'a status frame has no vantage',
    );
  }
  if (!isIntIn(f.epoch, 0, 0xffffffff)) bad(`epoch ${String(f.epoch)} is not a uint32`);
  if (!isIntIn(f.sequence, 0, Number.MAX_SAFE_INTEGER))
    bad(`sequence ${String(f.sequence)} is not a non-negative safe integer`);
  if (!isIntIn(f.generatedAtMs, 0, Number.MAX_SAFE_INTEGER))
    bad(`generatedAtMs ${String(f.generatedAtMs)} is not a non-negative whole number of ms`);
  if (!isIntIn(f.capacity, MIN_CAPACITY, MAX_CAPACITY))
    bad(`capacity ${String(f.capacity)} is not ${MIN_CAPACITY} … ${MAX_CAPACITY}`);
  if (typeof f.configVersion !== 'string') bad('configVersion is not a string');
  if (!(f.payload instanceof Uint8Array)) bad('payload is not a Uint8Array');
  const want = payloadBytes(f.kind, f.capacity, f.version);
  if (f.payload.length !== want)
    bad(
      `payload is ${f.payload.length} bytes, a version ${f.version} ${f.kind} frame of capacity ${f.capacity} has ${want}`,
    );
}

function checkKey(key: Uint8Array | undefined): void {
  if (key !== undefined && (!(key instanceof Uint8Array) || key.length === 0)) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      'snapshot key: must be a non-empty Uint8Array (or absent for CRC32C frames)',
    );
  }
}

function isIntIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function readU32(b: Uint8Array, at: number): number {
  return (
    (((b[at] as number) << 24) |
      ((b[at + 1] as number) << 16) |
      ((b[at + 2] as number) << 8) |
      (b[at + 3] as number)) >>>
    0
  );
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
