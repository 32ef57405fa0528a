import type { Plan } from '../config/plan.js';
import { pickIndex, type RandomState } from './random.js';

// Local copies of plan.ts's answer-word layout (ANSWER_*), not exported:
// V8 reloads an imported or exported binding (a module cell), with its TDZ
// check, at every use, while a module-local const is folded into the code.
// `LAYOUT_COPIES` hands them to test/resolve-answer-word-layout.test.ts,
// which pins them to plan.ts.
const SLOT_MASK = 0xfffff;
const MASK_SHIFT = 20;
const WEIGHT_SHIFT = 23;
export const LAYOUT_COPIES = { SLOT_MASK, MASK_SHIFT, WEIGHT_SHIFT } as const;

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
 * whichever answers are healthy. The second pass reuses the health read by
 * the first (a status that changes mid-query cannot make the passes
 * disagree): as a local bit mask for sets of up to 32 answers, which also
 * take the sum of all weights and the zero-weight mask precomputed with the
 * plan; larger sets keep it in `out` and sum as they go. The set size, not
 * health, picks the path; test/resolve-constant-work.test.ts drives both (up
 * to 40 answers).
 */
export function selectWeighted(
  plan: Plan,
  statuses: Uint8Array,
  first: number,
  n: number,
  failMode: number,
  rng: RandomState,
  out: Int32Array,
  set: number,
): number {
  return n <= 32 ? weightedSmall(plan, statuses, first, n, failMode, rng, out, set) : weightedLarge(plan, statuses, first, n, failMode, rng, out);
}

// Kept under V8's 460-byte bytecode limit for inlining (Node 20; pass 2 is
// its own function for that). Past it, it is a call on every weighted query.
function weightedSmall(
  plan: Plan,
  statuses: Uint8Array,
  first: number,
  n: number,
  failMode: number,
  rng: RandomState,
  out: Int32Array,
  set: number,
): number {
  const word = plan.answerWord;
  // Pass 1 reads health into a bit mask and sums the healthy weights; the
  // rest of what the tiers need (the sum of all weights, which answers weigh
  // 0) doesn't depend on health and comes precomputed with the plan. Health
  // flags select by masks (x & -flag), not products: V8 guards a product
  // that may be 0 with a minus-zero check, a branch that health would steer.
  let sumHW = 0;
  let bits = 0;
  for (let k = 0; k < n; k++) {
    const p = word[first + k] as number;
    const h = ((p >>> MASK_SHIFT) >>> (statuses[p & SLOT_MASK] as number)) & 1;
    bits |= h << k;
    sumHW += (p >>> WEIGHT_SHIFT) & (0 - h);
  }
  const sumW = plan.setWeightSum[set] as number;
  const healthyZero = bits & (plan.setZeroWeights[set] as number);
  // Exactly one of a, b, none is 1 (x ≠ 0 as 0/1: the sign bit of x | -x);
  // with none, tier c when some weight is above 0 (anyW), else d.
  const a = (0 - sumHW) >>> 31;
  const b = (1 - a) & ((healthyZero | (0 - healthyZero)) >>> 31);
  const none = 1 - ((bits | (0 - bits)) >>> 31);
  const anyW = (0 - sumW) >>> 31;
  // The eligible answers as one mask, and whether shares follow weights
  // (tiers a, c) or are equal (b, d). With none healthy the total is sumW
  // (c), or n when every weight is 0 (d: sumW is 0 then).
  const eligible = (bits & (0 - a)) | (healthyZero & (0 - b)) | ((-1 >>> (32 - n)) & (0 - none));
  const byWeight = a | (none & anyW);
  const r = pickIndex(rng, (sumHW & (0 - a)) + (bitCount(healthyZero) & (0 - b)) + ((sumW + (n & (anyW - 1))) & (0 - none)));
  out[0] = first + chosenIndex(word, first, n, eligible, byWeight, r);
  return 1 - (failMode & none);
}

/**
 * Pass 2: the index of the first eligible answer whose running share
 * exceeds `r` (shares are weights when `byWeight` is 1, else 1 each). Every
 * answer is visited; the eligibility bit masks the share.
 */
function chosenIndex(word: Int32Array, first: number, n: number, eligible: number, byWeight: number, r: number): number {
  const equal = 1 - byWeight;
  const wMask = 0 - byWeight;
  let cum = 0;
  let idx = 0;
  for (let k = 0; k < n; k++) {
    cum += ((((word[first + k] as number) >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> k) & 1));
    idx += (cum - r - 1) >>> 31;
  }
  return idx;
}

/** Set bits in a 32-bit word, without a loop or a branch. */
function bitCount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

function weightedLarge(
  plan: Plan,
  statuses: Uint8Array,
  first: number,
  n: number,
  failMode: number,
  rng: RandomState,
  out: Int32Array,
): number {
  const word = plan.answerWord;
  let sumHW = 0;
  let cntHZ = 0;
  let sumW = 0;
  let cntH = 0;
  for (let k = 0; k < n; k++) {
    const p = word[first + k] as number;
    const h = ((p >>> MASK_SHIFT) >>> (statuses[p & SLOT_MASK] as number)) & 1;
    const w = p >>> WEIGHT_SHIFT;
    const z = (w - 1) >>> 31; // 1 when w is 0 (w is 0..255)
    out[k] = h;
    sumHW += h * w;
    cntHZ += h * z;
    sumW += w;
    cntH += h;
  }
  // x > 0 as 0/1 for small non-negative x, without a branch. `0 - x`, not
  // `-x`: -0 is a double, and one would turn this arithmetic to floats.
  const a = (0 - sumHW) >>> 31;
  const b = (1 - a) * ((0 - cntHZ) >>> 31);
  const none = 1 - ((0 - cntH) >>> 31);
  const anyW = (0 - sumW) >>> 31;
  const c = none * anyW;
  const d = none * (1 - anyW);
  const total = a * sumHW + b * cntHZ + c * sumW + d * n;
  const r = pickIndex(rng, total);
  let cum = 0;
  let idx = 0;
  for (let k = 0; k < n; k++) {
    const h = out[k] as number;
    const w = (word[first + k] as number) >>> WEIGHT_SHIFT;
    const z = (w - 1) >>> 31;
    cum += a * h * w + b * h * z + c * w + d;
    idx += (cum - r - 1) >>> 31; // 1 while cum <= r: the chosen one is the first with cum > r
  }
  out[0] = first + idx;
  return 1 - failMode * none;
}
