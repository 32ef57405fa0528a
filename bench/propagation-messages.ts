/**
 * The one message contract between the propagation scenario (the parent)
 * and its resolver child processes (bench/workers/propagation-*.ts), sent
 * over the fork IPC channel with `serialization: 'advanced'`. Health data
 * never travels here: it goes over TCP (status frames or status events).
 * This channel only sets up, arms watches and collects results.
 */

export type Design = 'engine' | 'baseline';

export type ToChild =
  /** The plan (`encodePlan` bytes) and the sender's tick; the child answers `ready` with the TCP port it listens on. */
  | { type: 'init'; plan: Uint8Array; tickMs: number }
  /** Clock check: answer `pong` with the child's wall clock at once. */
  | { type: 'ping'; id: number }
  /**
   * Arm a watch: the child reports `done` the first time every set in
   * `sets` answers exactly the answers whose slot is not in `failed`
   * (checked after each applied frame or event, through the child's own
   * resolution path). One watch at a time; a new one replaces the old.
   * Typed arrays: one copy each way, and next to no garbage on either side
   * of a run's t0 (10,000 slots as a plain array would be 10,000 values to
   * serialize and collect).
   */
  | { type: 'watch'; id: number; failed: Int32Array; sets: Int32Array }
  /** The answers each of `sets` gives now, sorted answer indices. */
  | { type: 'sample'; id: number; sets: number[] }
  | { type: 'stats'; id: number }
  | { type: 'stop' };

export interface ChildStats {
  /** Frames (engine) or events (baseline) that reached the child. */
  messages: number;
  /** Of those, applied (a rejected or stale frame is not). */
  applied: number;
  /** Baseline: events whose sequence number was not the previous + 1 (must be 0). */
  gaps: number;
  /** Engine: frames the receiver rejected. */
  rejected: number;
  /** Engine: longest single frame apply (decode + checks + copy), ms. Not timed per event in the baseline (0). */
  maxApplyMs: number;
  heapUsedMiB: number;
}

export type FromChild =
  | { type: 'ready'; port: number }
  | { type: 'pong'; id: number; at: number }
  | { type: 'watching'; id: number }
  /** `at`: shared wall clock (performance.timeOrigin + performance.now()) when the applied state first satisfied the watch. */
  | { type: 'done'; id: number; at: number }
  | { type: 'sample'; id: number; answers: number[][] }
  | { type: 'stats'; id: number; stats: ChildStats }
  | { type: 'error'; message: string };
