/**
 * What the probe strategies share: the deadline timer, latency, and the
 * mapping from socket errors to a ProbeFailure. Kept apart from `probe.ts`
 * so the strategies import it without an import cycle through `probeFor`.
 */
import { performance } from 'node:perf_hooks';
import type { ProbeCheckSpec } from '../config/plan.js';
import { LATENCY_MAX_US, Result } from '../table/layout.js';
import type { ProbeFailure, ProbeOutcome, ProbeResult } from './probe.js';

/** µs elapsed since `t0` (a `performance.now()` reading), rounded up, capped to the observation word's field. */
export function elapsedUs(t0: number): number {
  const us = Math.ceil((performance.now() - t0) * 1000);
  return us < 0 ? 0 : us > LATENCY_MAX_US ? LATENCY_MAX_US : us;
}

// Codes of failed handshakes: Node's own, and OpenSSL's certificate-verification codes.
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;

/** Maps a socket or HTTP client error to a ProbeFailure by its `code`. */
export function classifyError(err: unknown): ProbeFailure {
  let code = codeOf(err);
  if (code === undefined && err instanceof AggregateError) {
    // autoSelectFamily (happy eyeballs) reports every attempt; the first speaks for them.
    for (const e of err.errors) {
      code = codeOf(e);
      if (code !== undefined) break;
    }
  }
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return code !== undefined && TLS_CODE.test(code) ? 'tls' : 'error';
  }
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Called once with a probe's verdict, with the context the probe was started
 * with. One function serves every probe of a caller, so a probe in flight
 * holds no closure of its own. `httpStatus` is the final response's status
 * code when one was read (HTTP(S) probes), else 0.
 */
export type ProbeDone<T> = (
  context: T,
  result: ProbeResult,
  latencyUs: number,
  reason: ProbeFailure | null,
  httpStatus: number,
) => void;

/**
 * Starts one probe of `spec`; `done(context, …)` is called exactly once, by
 * `deadlineMs` after the call (plus event-loop slack), possibly before
 * `start` returns. Never throws for anything a target does.
 */
export type ProbeStart = <T>(spec: ProbeCheckSpec, deadlineMs: number, done: ProbeDone<T>, context: T) => void;

/**
 * One probe in flight: its clock, its one deadline timer, and whom to tell.
 * A strategy subclasses it with its socket and state, and its socket's
 * listeners are module-level functions that find the run through the
 * socket (`runOf`). Why not closures: while every target hangs, about a
 * timeout's worth of probes is alive at once, and each young-generation
 * collection of the checker thread copies all of them; closures, `once`
 * wrappers and promise chains doubled what a hanging probe kept on the heap
 * (measured: about 3.1 KB a hanging probe before, against 1.2 KB for the
 * socket alone).
 */
export abstract class ProbeRun {
  /** `performance.now()` at the start: latency and the deadline count from here. */
  readonly t0 = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    private readonly deadlineMs: number,
    private readonly done: ProbeDone<unknown>,
    private readonly context: unknown,
  ) {
    // The one timer, armed first: at the deadline the verdict is `timeout`.
    this.timer = setTimeout(deadlineFired, positive(deadlineMs), this);
  }

  /** Node arms timers from the loop's millisecond clock, so one can fire up to a millisecond early: re-arm for the rest then, so `timeout` is never given before the deadline. */
  onDeadline(): void {
    this.timer = null;
    if (this.finished) return;
    const left = positive(this.deadlineMs) - (performance.now() - this.t0);
    if (left > 0) this.timer = setTimeout(deadlineFired, Math.ceil(left), this);
    else this.finish('timeout');
  }

  /** Gives the verdict (null is success) once: later calls are ignored. Clears the timer and closes the strategy's sockets first. */
  finish(reason: ProbeFailure | null): void {
    if (this.finished) return;
    this.finished = true;
    const latencyUs = elapsedUs(this.t0);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.close();
    this.done(this.context, reason === null ? Result.SUCCESS : Result.FAILURE, latencyUs, reason, this.httpStatus());
  }

  /** Destroys whatever the strategy opened; called once, before `done`. */
  protected abstract close(): void;

  /** The final response's status code, if the strategy read one; else 0. */
  protected httpStatus(): number {
    return 0;
  }
}

function positive(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function deadlineFired(run: ProbeRun): void {
  run.onDeadline();
}

// The run a socket belongs to, kept on the socket itself so its listeners
// can be shared functions (they are called with the socket as `this`).
const kRun = Symbol('urnd.probeRun');
type Tagged<R> = { [kRun]?: R };

/** Ties `socket` to `run`, for `runOf`. */
export function tagSocket<R extends ProbeRun>(socket: object, run: R): void {
  (socket as Tagged<R>)[kRun] = run;
}

/** The run `tagSocket` tied to `socket`. */
export function runOf<R extends ProbeRun>(socket: object): R {
  return (socket as Tagged<R>)[kRun] as R;
}

/** The promise form of a probe strategy: resolves with the outcome, never rejects. */
export function promiseProbe(start: ProbeStart): (spec: ProbeCheckSpec, deadlineMs: number) => Promise<ProbeOutcome> {
  return (spec, deadlineMs) => new Promise<ProbeOutcome>((resolve) => start(spec, deadlineMs, settle, resolve));
}

const settle: ProbeDone<(outcome: ProbeOutcome) => void> = (resolve, result, latencyUs, reason) =>
  resolve({ result, latencyUs, reason });
