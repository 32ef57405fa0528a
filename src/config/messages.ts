/**
 * The contract between a ConfigLoop and its config worker thread: the loop
 * asks for one pass, the worker answers with the compiled plan's bytes (a
 * transferred buffer, `encodePlan` form) — or only its version when that is
 * the plan the loop already holds — or with why the document was rejected. Neither side imports the other.
 */
import type { ConfigIssue } from '../errors.js';

/** Most problems a rejection carries; the rest are only counted. */
export const MAX_REPORTED_ISSUES = 20;

export interface PassRequest {
  readonly id: number;
  /** File path or http(s) URL of the document. */
  readonly source: string;
  readonly fetchTimeoutMs: number;
  /**
   * Version of the plan the loop holds now, as the loop itself hashed it from
   * the bytes it decoded: a pass that compiles to it again is answered
   * `bytes: null`, so the usual pass (the same document) costs the ticking
   * thread nothing but one message; a loop whose copy came out different is
   * sent the whole plan again.
   */
  readonly appliedVersion: string;
}

export type PassReply =
  | {
      readonly id: number;
      readonly ok: true;
      /** `encodePlan` bytes of the compiled plan; null when `version` is the request's `appliedVersion`. */
      readonly bytes: Uint8Array | null;
      /** Hex SHA-256 of `bytes` (the plan's version). */
      readonly version: string;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: 'URND_ERR_CONFIG_PARSE' | 'URND_ERR_CONFIG_INVALID' | 'URND_ERR_CONFIG_READ';
      /** The first MAX_REPORTED_ISSUES problems, in document order. */
      readonly issues: readonly ConfigIssue[];
      /** How many problems there were in all. */
      readonly count: number;
    };
