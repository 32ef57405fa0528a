import { UrndError } from '../errors.js';

/**
 * Why a frame was rejected, one word each. A receiver counts rejections
 * under these keys; `SnapshotError.code` is `URND_ERR_FRAME_` + the word in
 * capitals.
 */
export const REJECT_REASONS = [
  'truncated',
  'checksum',
  'auth',
  'capacity',
  'cell',
  'kind',
  'oversized',
  'version',
  'malformed',
  'stale',
  'vantage',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The error codes of rejected frames. */
export type SnapshotErrorCode = `URND_ERR_FRAME_${Uppercase<RejectReason>}`;

/** What was known of a rejected frame once its trailer checked out. */
export interface RejectedFrameInfo {
  readonly cell: string;
  readonly epoch: number;
  readonly sequence: number;
  /** Observation frames: the vantage row. */
  readonly vantage?: number;
}

/**
 * A frame that was not applied. Thrown by `decodeSnapshot`; returned (never
 * thrown) by the receivers, which keep their last good table and count it.
 */
export class SnapshotError extends UrndError {
  declare readonly code: SnapshotErrorCode;
  /** The counter this rejection is kept under. */
  readonly reason: RejectReason;
  /** Cell, epoch and sequence of the frame, when it got as far as being parsed. */
  readonly frame: RejectedFrameInfo | undefined;

  constructor(reason: RejectReason, message: string, frame?: RejectedFrameInfo, options?: { cause?: unknown }) {
    super(
      `URND_ERR_FRAME_${reason.toUpperCase() as Uppercase<RejectReason>}`,
      `snapshot frame rejected: ${message}`,
      options,
    );
    this.name = 'SnapshotError';
    this.reason = reason;
    this.frame = frame;
  }
}
