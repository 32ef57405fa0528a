import { MULTIVALUE_MAX_RETURNED, type Plan } from '../config/plan.js';
import type { PickIndex } from './random.js';

/**
 * multivalue: up to 8 healthy answers, chosen at random; when none is
 * healthy, up to 8 of the unhealthy ones (or nothing with ANSWER_NONE).
 *
 * Constant work: one pass partitions the set into `out` — healthy answers
 * from the front, unhealthy from the back, each written by arithmetic on the
 * health bit — then a partial Fisher–Yates runs exactly min(8, n) draws over
 * the pool (the healthy ones, or all when none is healthy). Draws past the
 * pool's end swap an entry with itself, so the count of draws never depends
 * on health.
 */
export function selectMultivalue(
  plan: Plan,
  statuses: Uint8Array,
  first: number,
  n: number,
  failMode: number,
  pick: PickIndex,
  out: Int32Array,
): number {
  const mask = plan.answerMask;
  const slot = plan.answerSlot;
  let front = 0;
  let back = n;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    const h = ((mask[i] as number) >>> (statuses[slot[i] as number] as number)) & 1;
    back -= 1 - h;
    out[h * front + (1 - h) * back] = i;
    front += h;
  }
  const none = 1 - (-front >>> 31);
  const pool = front + none * n;
  const draws = Math.min(MULTIVALUE_MAX_RETURNED, n);
  for (let j = 0; j < draws; j++) {
    const k = j + pick(Math.max(pool - j, 1));
    const t = out[j] as number;
    out[j] = out[k] as number;
    out[k] = t;
  }
  return Math.min(MULTIVALUE_MAX_RETURNED, pool) * (1 - failMode * none);
}
