import type { Plan } from '../config/plan.js';
import type { RandomState } from './random.js';

// Local copies of plan.ts's answer-word layout (ANSWER_*), not exported:
// V8 reloads an imported or exported binding (a module cell), with its TDZ
// check, at every use, while a module-local const is folded into the code.
// `LAYOUT_COPIES` hands them to test/resolve-answer-word-layout.test.ts,
// which pins them to plan.ts.
const SLOT_MASK = 0xfffff;
const MASK_SHIFT = 20;
export const LAYOUT_COPIES = { SLOT_MASK, MASK_SHIFT } as const;

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
  _rng: RandomState,
  out: Int32Array,
): number {
  const word = plan.answerWord;
  const p = first;
  const s = first + n - 1;
  const wp = word[p] as number;
  const ws = word[s] as number;
  const hp = ((wp >>> MASK_SHIFT) >>> (statuses[wp & SLOT_MASK] as number)) & 1;
  // A set without a secondary reads the primary twice and weighs it 0
  // (n - 1 is 0 or 1: config allows one primary and one secondary).
  const hs = ((ws >>> MASK_SHIFT) >>> (statuses[ws & SLOT_MASK] as number)) & 1 & (n - 1);
  // Masks, not products: V8 guards an int32 product of 0 against -0 with
  // a branch, so multiplying by health bits made the cost follow health.
  out[0] = p + ((s - p) & (0 - ((1 - hp) & hs)));
  return 1 - (failMode & (1 - hp) & (1 - hs));
}
