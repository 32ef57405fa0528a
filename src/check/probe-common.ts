/**
 * What the probe strategies share: the deadline timer, latency, and the
 * mapping from socket errors to a ProbeFailure. Kept apart from `probe.ts`
 * so the strategies import it without an import cycle through `probeFor`.
 */
import { performance } from 'node:perf_hooks';
import { LATENCY_MAX_US } from '../table/layout.js';
import type { ProbeFailure } from './probe.js';

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
 * The one timer of a probe. Node arms timers from the event loop's
 * millisecond clock, so one can fire up to a millisecond before
 * `performance.now()` says the deadline has passed; `onFire` re-arms for the
 * remainder in that case, so a timeout verdict is never given early.
 * Returns a function that clears whichever timer is armed.
 */
export function armDeadline(t0: number, deadlineMs: number, onDeadline: () => void): () => void {
  const ms = Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : 0;
  let timer: NodeJS.Timeout;
  const onFire = (): void => {
    const left = ms - (performance.now() - t0);
    if (left > 0) {
      timer = setTimeout(onFire, Math.ceil(left));
      return;
    }
    onDeadline();
  };
  timer = setTimeout(onFire, ms);
  return () => clearTimeout(timer);
}
