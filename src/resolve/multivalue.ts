import type { Plan } from '../config/plan.js';
import { pickIndex, type RandomState } from './random.js';

// Local copies of plan.ts's answer-word layout (ANSWER_*), not exported:
// V8 reloads an imported or exported binding (a module cell), with its TDZ
// check, at every use, while a module-local const is folded into the code.
// `LAYOUT_COPIES` hands them to test/resolve-answer-word-layout.test.ts,
// which pins them to plan.ts.
const SLOT_MASK = 0xfffff;
const MASK_SHIFT = 20;
const MAX_RETURNED = 8; // MULTIVALUE_MAX_RETURNED
export const LAYOUT_COPIES = { SLOT_MASK, MASK_SHIFT, MAX_RETURNED } as const;

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
  rng: RandomState,
  out: Int32Array,
): number {
  const word = plan.answerWord;
  let front = 0;
  let back = n;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    const p = word[i] as number;
    const h = ((p >>> MASK_SHIFT) >>> (statuses[p & SLOT_MASK] as number)) & 1;
    back -= 1 - h;
    out[h * front + (1 - h) * back] = i;
    front += h;
  }
  const none = 1 - ((0 - front) >>> 31);
  const pool = front + none * n;
  const draws = Math.min(MAX_RETURNED, n);
  for (let j = 0; j < draws; j++) {
    const k = j + pickIndex(rng, Math.max(pool - j, 1));
    const t = out[j] as number;
    out[j] = out[k] as number;
    out[k] = t;
  }
  return Math.min(MAX_RETURNED, pool) * (1 - failMode * none);
}
