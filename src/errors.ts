/**
 * Stable error codes. Tests and callers match on `code`, never on the message,
 * so messages can improve without breaking anyone.
 */
export type UrndErrorCode =
  | 'URND_ERR_CONFIG_PARSE'
  | 'URND_ERR_CONFIG_INVALID'
  | 'URND_ERR_CONFIG_READ'
  | 'URND_ERR_CAPACITY'
  | 'URND_ERR_TABLE_LAYOUT'
  | 'URND_ERR_ARGUMENT'
  /** The DNS front could not bind its address (in use, not local, no permission). */
  | 'URND_ERR_DNS_LISTEN'
  /** `serve --demo` could not bind a demo target's address (in use, not local, no permission). */
  | 'URND_ERR_DEMO_LISTEN'
  /** `dns.workers` asks for more resolver threads than can share one port on this platform. */
  | 'URND_ERR_DNS_WORKERS'
  /** A resolver worker thread failed to start, or did not answer. */
  | 'URND_ERR_DNS_WORKER'
  // Snapshot frames (src/snapshot): why a frame was rejected. The receiver
  // keeps its last good table and counts each under the suffix, lower-cased.
  /** Shorter than its header says (or than a header). */
  | 'URND_ERR_FRAME_TRUNCATED'
  /** CRC32C trailer does not match: corrupted on the way. */
  | 'URND_ERR_FRAME_CHECKSUM'
  /** HMAC-SHA256 trailer does not match, or the frame is keyed and the receiver is not (or vice versa). */
  | 'URND_ERR_FRAME_AUTH'
  /** Capacity differs from the receiving table's. */
  | 'URND_ERR_FRAME_CAPACITY'
  /** Frame of another cell. */
  | 'URND_ERR_FRAME_CELL'
  /** Status frame where an observation vector was expected, or vice versa. */
  | 'URND_ERR_FRAME_KIND'
  /** Longer than the receiver's maxBytes. */
  | 'URND_ERR_FRAME_OVERSIZED'
  /** Unknown frame format version. */
  | 'URND_ERR_FRAME_VERSION'
  /** Checksum good, but not a frame: bad magic, bad msgpack, missing or mistyped field, trailing bytes. */
  | 'URND_ERR_FRAME_MALFORMED'
  /** Sequence not newer than the last applied one from the same sender epoch. */
  | 'URND_ERR_FRAME_STALE'
  /** Observation vector for a vantage row the receiving table does not have (or does not accept). */
  | 'URND_ERR_FRAME_VANTAGE'
  /** A snapshot FrameListener could not bind its address. */
  | 'URND_ERR_SNAPSHOT_LISTEN'
  /** The admin HTTP listener could not bind its address. */
  | 'URND_ERR_ADMIN_LISTEN'
  /** The admin address of a running process did not answer (urnd status / explain). */
  | 'URND_ERR_ADMIN_UNREACHABLE';

/** Base class of every error urnd throws; `code` is stable across releases. */
export class UrndError extends Error {
  readonly code: UrndErrorCode;
  constructor(code: UrndErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UrndError';
    this.code = code;
  }
}

/** One problem found in a config document: where (a dotted path) and what. */
export interface ConfigIssue {
  /** e.g. `records[3].answers[1].weight`; empty for the document itself. */
  readonly path: string;
  /** e.g. `300 is above 255`. */
  readonly message: string;
}

/**
 * A config document that was rejected whole. `issues` lists every problem
 * found, each as `path: message`; nothing of the document was applied.
 */
export class ConfigError extends UrndError {
  readonly issues: readonly ConfigIssue[];
  /** How many problems the document had; more than `issues.length` when only the first few were kept. */
  readonly count: number;
  constructor(
    code: 'URND_ERR_CONFIG_PARSE' | 'URND_ERR_CONFIG_INVALID' | 'URND_ERR_CONFIG_READ',
    issues: readonly ConfigIssue[],
    options?: { cause?: unknown; count?: number },
  ) {
    const count = Math.max(options?.count ?? issues.length, issues.length);
    super(code, formatIssues(issues, count), options);
    this.name = 'ConfigError';
    this.issues = issues;
    this.count = count;
  }
}

function formatIssues(issues: readonly ConfigIssue[], count: number): string {
  const lines = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  if (count === 1 && lines.length === 1) return `config rejected: ${lines[0]}`;
  const head = count === lines.length ? `${count} problems` : `${count} problems, the first ${lines.length}`;
  return `config rejected (${head}):\n  ${lines.join('\n  ')}`;
}
