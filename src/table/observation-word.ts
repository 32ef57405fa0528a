import { LATENCY_MAX_US, LATENCY_SHIFT, RESULT_MASK, RUN_MASK, RUN_MAX, RUN_SHIFT, type Result } from './layout.js';

/**
 * Packs one observation into a word (see the drawing in layout.ts).
 * `run` is clamped to 0..15 and `latencyUs` to 0..2^24-1.
 */
export function packObservation(result: Result, run: number, latencyUs: number): number {
  const r = run < 0 ? 0 : run > RUN_MAX ? RUN_MAX : run | 0;
  const l = latencyUs < 0 ? 0 : latencyUs > LATENCY_MAX_US ? LATENCY_MAX_US : latencyUs | 0;
  return (l << LATENCY_SHIFT) | (r << RUN_SHIFT) | (result & RESULT_MASK);
}

/** The result field of a word: 0 none, 1 success, 2 failure. */
export function observationResult(word: number): Result {
  return (word & RESULT_MASK) as Result;
}

/** How many consecutive probes gave this result (saturates at 15). */
export function observationRun(word: number): number {
  return (word >>> RUN_SHIFT) & RUN_MASK;
}

/** The probe's latency in microseconds (capped). */
export function observationLatencyUs(word: number): number {
  return word >>> LATENCY_SHIFT;
}

/**
 * The word a checker stores after a probe: the run continues when the result
 * repeats and restarts at 1 when it changes. Pure arithmetic, so a checker
 * does the same work whether its target is up or down.
 */
export function nextObservation(previous: number, result: Result, latencyUs: number): number {
  const same = (previous & RESULT_MASK) === result ? 1 : 0;
  const run = same * ((previous >>> RUN_SHIFT) & RUN_MASK) + 1;
  return packObservation(result, run, latencyUs);
}

/** True if the word could have been written by urnd (reserved bits clear, result in range). */
export function isValidObservation(word: number): boolean {
  const result = word & RESULT_MASK;
  if (result === 3) return false;
  if ((word & 0b11000000) !== 0) return false;
  // A word with no result carries nothing else; one with a result has run ≥ 1.
  if (result === 0) return word === 0;
  return ((word >>> RUN_SHIFT) & RUN_MASK) >= 1;
}
