import type { Plan } from '../config/plan.js';
import type { PickIndex } from './random.js';

/**
 * weighted: one answer, chosen with probability weight / sum of weights among
 * the eligible ones. Eligibility comes in tiers, as in Route 53:
 *   a. healthy answers with weight > 0, if there are any;
 *   b. else healthy answers with weight 0, in equal shares;
 *   c. else (none healthy) every answer by its weight, as if all were healthy;
 *   d. else (none healthy, every weight 0) every answer in equal shares.
 * With FailMode ANSWER_NONE, c and d give an empty answer instead.
 *
 * Constant work: the tier is picked by arithmetic on sums from the first pass
 * (exactly one of the selectors a, b, c, d is 1), and the second pass walks
 * every answer with no early exit, so the instructions run are the same
 * whichever answers are healthy. `out` doubles as scratch for the health bits
 * of the first pass, so a status that changes mid-query cannot make the two
 * passes disagree.
 */
export function selectWeighted(
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
  const weight = plan.answerWeight;
  let sumHW = 0;
  let cntHZ = 0;
  let sumW = 0;
  let cntH = 0;
  for (let k = 0; k < n; k++) {
    const i = first + k;
    const h = ((mask[i] as number) >>> (statuses[slot[i] as number] as number)) & 1;
    const w = weight[i] as number;
    const z = (w - 1) >>> 31; // 1 when w is 0 (w is 0..255)
    out[k] = h;
    sumHW += h * w;
    cntHZ += h * z;
    sumW += w;
    cntH += h;
  }
  // x > 0 as 0/1 for small non-negative x, without a branch.
  const a = -sumHW >>> 31;
  const b = (1 - a) * (-cntHZ >>> 31);
  const none = 1 - (-cntH >>> 31);
  const anyW = -sumW >>> 31;
  const c = none * anyW;
  const d = none * (1 - anyW);
  const total = a * sumHW + b * cntHZ + c * sumW + d * n;
  const r = pick(total);
  let cum = 0;
  let idx = 0;
  for (let k = 0; k < n; k++) {
    const h = out[k] as number;
    const w = weight[first + k] as number;
    const z = (w - 1) >>> 31;
    cum += a * h * w + b * h * z + c * w + d;
    idx += (cum - r - 1) >>> 31; // 1 while cum <= r: the chosen one is the first with cum > r
  }
  out[0] = first + idx;
  return 1 - failMode * none;
}
