/**
 * The one contract between a DNS supervisor (`urnd dns --workers N`, or
 * `urnd serve` with `dns.workers: N`) and its DNS processes, over the
 * child_process IPC channel (advanced serialization: frames go as bytes).
 */

/** supervisor → DNS process: a whole status frame, as received and checked by the supervisor. */
export interface FrameMessage {
  readonly type: 'frame';
  readonly bytes: Uint8Array;
}

/** supervisor → DNS process: the last good frame (if any) was sent before this; bind the DNS sockets now. */
export interface PrimedMessage {
  readonly type: 'primed';
}

/** supervisor → DNS process: close the sockets and exit 0. */
export interface StopMessage {
  readonly type: 'stop';
}

export type ToDnsProcess = FrameMessage | PrimedMessage | StopMessage;

/**
 * DNS process → supervisor: its StatusTable is ready for frames (nothing
 * bound yet). The supervisor answers with the last good frame, if it has
 * one, then `primed`; so a process started later never answers from an
 * empty table while the others have data.
 */
export interface IntakeReadyMessage {
  readonly type: 'intake-ready';
}

/** DNS process → supervisor: answering on host:port (UDP and TCP). */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly host: string;
  readonly port: number;
}

/** DNS process → supervisor: could not start (the process exits 1 after it). */
export interface StartErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
}

/** DNS process → supervisor, once a second. */
export interface ProcessStatusMessage {
  readonly type: 'status';
  readonly queriesPerSec: number;
  /** Queries answered since this process started (UDP and TCP). */
  readonly answered: number;
  /** Of those, SERVFAIL replies: held before this process's first frame (`urnd dns`). */
  readonly servfail: number;
  /** Frames applied to this process's table so far. */
  readonly applied: number;
  /** Seconds since this process last applied a frame; null before the first. */
  readonly secondsSinceLastGood: number | null;
  readonly configVersion: string;
}

export type FromDnsProcess = IntakeReadyMessage | ReadyMessage | StartErrorMessage | ProcessStatusMessage;
