/**
 * The shared-memory layouts of the two tables, named once. No other module
 * uses a bare offset into a table's SharedArrayBuffer.
 *
 * StatusTable (one SharedArrayBuffer):
 *
 *   byte 0                16               24             64        64 + C
 *   ┌──────┬────────┬──────┬─────┬────────────────┬────────┬───────────────┐
 *   │magic │capacity│ seq  │ ... │ updatedAt (i64)│ unused │ status[0..C)  │
 *   └──────┴────────┴──────┴─────┴────────────────┴────────┴───────────────┘
 *    Int32 words 0..3            BigInt64 word 2            one byte a slot
 *
 * The header fills one 64-byte cache line of its own, so writers bumping the
 * sequence never share a line with the first slots readers scan.
 *
 * ObservationTable (one SharedArrayBuffer):
 *
 *   byte 0            64                 64 + 4C            64 + 4CV             64 + 6CV
 *   ┌────────────────┬──────────────────┬─────┬──────────────────┬──────────────────┐
 *   │ header (Int32) │ vantage 0: C words│ ... │ vantage V-1      │ reasons: V × C u16│
 *   └────────────────┴──────────────────┴─────┴──────────────────┴──────────────────┘
 *
 * An observation word (Int32, read and written with Atomics):
 *
 *    31                           8 7   6 5        2 1    0
 *   ┌──────────────────────────────┬─────┬──────────┬──────┐
 *   │ latency, µs (24 bits, capped)│  0  │ run count│result│
 *   └──────────────────────────────┴─────┴──────────┴──────┘
 *
 * result 0 means "never observed", so a zero-filled buffer holds only words
 * somebody could have written. The run count is how many consecutive probes
 * gave this same result (saturating at 15); the threshold logic needs nothing
 * else, and one Atomics.store publishes result, count and latency together.
 *
 * A failure reason (Uint16, parallel to the words: vantage v, slot s at
 * v × C + s in the reasons region), the why of the same probe:
 *
 *    15  14 13                       4 3        0
 *   ┌──────┬────────────────────────────┬──────────┐
 *   │  0   │ HTTP status (10 bits) or 0 │ reason   │
 *   └──────┴────────────────────────────┴──────────┘
 *
 * reason 0 means "none" (the probe succeeded, or nobody wrote one); 1…7 are
 * FAILURE_REASONS. The checker stores it (Atomics) just before the word, so
 * an Atomics reader that sees a failure word sees its reason or a newer
 * probe's; the aggregator's plain loads may, rarely, pair a word with a
 * neighbouring probe's reason — a label, never a verdict, and the next
 * probe's pair repairs it. The HTTP status is set only with reason `status`.
 */

/** Magic number in word 0 of a StatusTable header ("URST"). */
export const STATUS_MAGIC = 0x55525354;
/** Magic number in word 0 of an ObservationTable header ("UROB"). */
export const OBSERVATION_MAGIC = 0x55524f42;

/** Bytes before the first slot in both tables: one cache line. */
export const HEADER_BYTES = 64;

// Int32 word indices in a StatusTable header.
export const kStatusMagicWord = 0;
export const kStatusCapacityWord = 1;
export const kStatusSequenceWord = 2;
/** BigInt64 word index (bytes 16..23) of the last update time, ms since epoch. */
export const kStatusUpdatedAtBigWord = 2;

// Int32 word indices in an ObservationTable header.
export const kObsMagicWord = 0;
export const kObsCapacityWord = 1;
export const kObsVantageWord = 2;

/** Smallest and largest capacity a cell may have; the default. */
export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 1_048_576;
export const DEFAULT_CAPACITY = 16_384;
/** Most vantage points one ObservationTable holds. */
export const MAX_VANTAGES = 64;

/**
 * A slot's status byte. UNKNOWN is 0 so that a fresh, zero-filled table says
 * "no result yet" everywhere without anyone writing it.
 */
export const Status = {
  UNKNOWN: 0,
  HEALTHY: 1,
  UNHEALTHY: 2,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
/** Number of valid status values; any byte ≥ this was never written by urnd. */
export const STATUS_COUNT = 3;
/** Names of the status values, indexed by status byte. */
export const STATUS_NAMES = ['unknown', 'healthy', 'unhealthy'] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

/** The result field of an observation word. */
export const Result = {
  NONE: 0,
  SUCCESS: 1,
  FAILURE: 2,
} as const;
export type Result = (typeof Result)[keyof typeof Result];

export const RESULT_BITS = 2;
export const RESULT_MASK = 0b11;
export const RUN_SHIFT = 2;
export const RUN_MASK = 0b1111;
/** The run count saturates here; thresholds go up to 10. */
export const RUN_MAX = 15;
export const LATENCY_SHIFT = 8;
/** Latency is capped at 2^24 - 1 µs (about 16.8 s). */
export const LATENCY_MAX_US = 0xffffff;

/**
 * The failure reasons a reason word's low 4 bits name, code = index + 1
 * (0 is "none"). The same names and order as check/probe.ts's ProbeFailure.
 */
export const FAILURE_REASONS = ['refused', 'timeout', 'reset', 'status', 'body', 'tls', 'error'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
export const REASON_CODE_MASK = 0b1111;
export const REASON_HTTP_SHIFT = 4;
/** HTTP status codes are 100…999; 10 bits hold them. */
export const REASON_HTTP_MAX = 0x3ff;

/** A slot number, 0 ≤ slot < capacity. */
export type SlotIndex = number & { readonly __slot: unique symbol };

/** Bytes of a StatusTable buffer for `capacity` slots. */
export function statusTableBytes(capacity: number): number {
  return HEADER_BYTES + capacity;
}

/** Bytes of an ObservationTable buffer for `vantages` rows of `capacity` words and as many reason words. */
export function observationTableBytes(vantages: number, capacity: number): number {
  return HEADER_BYTES + 6 * vantages * capacity;
}

/** Byte offset of the reasons region in an ObservationTable buffer (2-aligned: the words before it are 4 bytes). */
export function observationReasonsOffset(vantages: number, capacity: number): number {
  return HEADER_BYTES + 4 * vantages * capacity;
}
