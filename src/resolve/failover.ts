import type { Plan } from '../config/plan.js';
import type { PickIndex } from './random.js';

/**
 * failover: the primary if healthy, else the secondary if healthy (an answer
 * with no check counts as healthy), else the primary again — or nothing with
 * FailMode ANSWER_NONE. The compiled set holds the primary first and the
 * secondary, if any, last. Both statuses are read on every query.
 */
export function selectFailover(
  plan: Plan,
  statuses: Uint8Array,
  first: number,
  n: number,
  failMode: number,
  _pick: PickIndex,
  out: Int32Array,
): number {
  const mask = plan.answerMask;
  const slot = plan.answerSlot;
  const p = first;
  const s = first + n - 1;
  const hp = ((mask[p] as number) >>> (statuses[slot[p] as number] as number)) & 1;
  // A set without a secondary reads the primary twice and weighs it 0.
  const hs = (((mask[s] as number) >>> (statuses[slot[s] as number] as number)) & 1) * (n - 1);
  out[0] = p + (1 - hp) * hs * (s - p);
  return 1 - failMode * (1 - hp) * (1 - hs);
}
