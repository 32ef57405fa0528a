/**
 * The contract every probe keeps, and `probeFor`, which picks a strategy
 * (`tcp.ts`, `http.ts`) by check type.
 *
 * A probe is one attempt, start to verdict, with a hard deadline:
 *
 * - It never rejects. Whatever the target does — refuse, hang, reset, send
 *   garbage — the promise resolves with a FAILURE outcome and a reason.
 * - It resolves by `deadlineMs` after the call (plus event-loop slack), and
 *   by then every socket it opened is destroyed. One timer per probe, cleared
 *   at the verdict.
 * - It is constant work: a failing probe does exactly what a succeeding one
 *   does. No retry, no backoff, and one address per attempt: happy-eyeballs
 *   (`autoSelectFamily`) is off, since it tries more addresses exactly when
 *   the target is down.
 */
import type { ProbeCheckSpec } from '../config/plan.js';
import { FAILURE_REASONS, type FailureReason, Result } from '../table/layout.js';
import { startTcpProbe, tcpProbe } from './tcp.js';
import { httpProbe, startHttpProbe } from './http.js';
import type { ProbeStart } from './probe-common.js';

/**
 * Why a probe failed. Small on purpose: a reason is a label for metrics and
 * for `urnd explain`, not a diagnosis.
 *
 * - `refused`: the target actively refused the connection (ECONNREFUSED).
 * - `timeout`: no verdict by the deadline (connect, TLS handshake, response
 *   headers or body match still pending), or the OS gave up (ETIMEDOUT).
 * - `reset`: the connection was reset or closed before a verdict
 *   (ECONNRESET, EPIPE, ECONNABORTED, a server hanging up mid-response).
 * - `status`: HTTP(S) response status outside [statusMin, statusMax].
 * - `body`: `bodyMatch` not found in the first 5,120 bytes of the body.
 * - `tls`: the TLS handshake failed (certificate rejected with verifyTls,
 *   protocol mismatch, handshake cut short).
 * - `error`: anything else (name lookup failure, unreachable network,
 *   unparsable HTTP response, an invalid spec).
 */
export type ProbeFailure = FailureReason;

/** Every ProbeFailure, in a fixed order (e.g. for metric label sets): the table's reason codes 1…7. */
export const PROBE_FAILURES: readonly ProbeFailure[] = FAILURE_REASONS;

/** The results a probe can give: never NONE. */
export type ProbeResult = typeof Result.SUCCESS | typeof Result.FAILURE;

/** The verdict of one probe. */
export interface ProbeOutcome {
  readonly result: ProbeResult;
  /** Time from the call to the verdict, µs (rounded up, capped at LATENCY_MAX_US). */
  readonly latencyUs: number;
  /** Null exactly when `result` is SUCCESS. */
  readonly reason: ProbeFailure | null;
}

/**
 * Runs one probe of `spec`. `deadlineMs` is how long the probe may take,
 * from the call, in ms (callers pass `spec.timeoutMs`; config keeps it below
 * the interval). Never rejects.
 */
export type Probe = (spec: ProbeCheckSpec, deadlineMs: number) => Promise<ProbeOutcome>;

/** Picks the probe implementation for a spec's type. */
export function probeFor(spec: Pick<ProbeCheckSpec, 'type'>): Probe {
  switch (spec.type) {
    case 'tcp':
      return tcpProbe;
    case 'http':
    case 'https':
      return httpProbe;
    default:
      // A type this build doesn't know (a newer document): fail every probe
      // the same way rather than throw in the checker's loop.
      return unknownTypeProbe;
  }
}

const unknownTypeProbe: Probe = () => Promise.resolve({ result: Result.FAILURE, latencyUs: 0, reason: 'error' });

/**
 * The callback form of `probeFor`, which the checker threads use: a probe in
 * flight then holds no promise or closure of its own (see `ProbeRun`).
 */
export function probeStartFor(spec: Pick<ProbeCheckSpec, 'type'>): ProbeStart {
  switch (spec.type) {
    case 'tcp':
      return startTcpProbe;
    case 'http':
    case 'https':
      return startHttpProbe;
    default:
      return startUnknownTypeProbe;
  }
}

const startUnknownTypeProbe: ProbeStart = (_spec, _deadlineMs, done, context) =>
  done(context, Result.FAILURE, 0, 'error', 0);
