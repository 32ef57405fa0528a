import type { Plan } from '../config/plan.js';
import { pickIndex, type RandomState } from './random.js';

/**
 * simple: every value, in random order, never filtered by health (Route 53
 * attaches no health check to simple records). Writes answer indices to
 * `out` and returns how many: always the whole set.
 */
export function selectSimple(
  _plan: Plan,
  _statuses: Uint8Array,
  first: number,
  n: number,
  _failMode: number,
  rng: RandomState,
  out: Int32Array,
): number {
  for (let k = 0; k < n; k++) out[k] = first + k;
  // Fisher–Yates: n - 1 draws, whatever the state of the targets.
  for (let j = n - 1; j > 0; j--) {
    const k = pickIndex(rng, j + 1);
    const t = out[j] as number;
    out[j] = out[k] as number;
    out[k] = t;
  }
  return n;
}
