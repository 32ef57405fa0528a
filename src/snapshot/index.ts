/**
 * Snapshot frames between processes: the codec (frame.ts), the sender's
 * epoch and sequence (encoder.ts), receivers that keep the last good table
 * (receiver.ts), and the TCP push transport (push.ts, the sender;
 * frame-listener.ts, the receiving port). See README.md.
 */
export {
  encodeSnapshot,
  decodeSnapshot,
  payloadBytes,
  defaultMaxFrameBytes,
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_HEADER_BYTES,
  CRC_TRAILER_BYTES,
  HMAC_TRAILER_BYTES,
  FLAG_HMAC,
  PAYLOAD_ALIGNMENT,
  DEFAULT_FRAME_OVERHEAD_BYTES,
  type SnapshotFrame,
  type FrameKind,
  type DecodeExpectations,
} from './frame.js';
export { SnapshotEncoder, newEpoch, type SnapshotEncoderOptions } from './encoder.js';
export {
  SnapshotReceiver,
  ObservationReceiver,
  isGenuine,
  type ReceiverOptions,
  type ObservationReceiverOptions,
  type ReceiverCounters,
  type ReceiveOutcome,
  type Staleness,
} from './receiver.js';
export {
  FramePublisher,
  FrameListener,
  CLOSE_REASONS,
  type CloseReason,
  type Subscriber,
  type SubscriberState,
  type SubscriberStats,
  type FramePublisherOptions,
  type FrameListenerOptions,
  type FrameListenerStats,
  type FramePeer,
  type FrameHandler,
} from './push.js';
export {
  SnapshotError,
  REJECT_REASONS,
  type RejectReason,
  type SnapshotErrorCode,
  type RejectedFrameInfo,
} from './snapshot-error.js';
export { crc32c } from './crc32c.js';
