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
 * plan; larger sets keep it in `out` and sum as they go. Sets of up to 8
 * take an unrolled form of the small path. The set size, not health, picks
 * the path; test/resolve-constant-work.test.ts drives all three (up to 40
 * answers, sets side by side).
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
  return n <= 8
    ? weightedUpTo8(plan, statuses, first, n, failMode, rng, out, set)
    : n <= 32
      ? weightedSmall(plan, statuses, first, n, failMode, rng, out, set)
      : weightedLarge(plan, statuses, first, n, failMode, rng, out);
}

/**
 * Sets of up to 8 answers (most sets), unrolled: always 8 loads from the
 * set's first answer word, and for k ≥ n the words past the set (the next
 * sets' answers, or the plan's zero padding after the last) are read and
 * masked out by `live`. Eight independent load chains and no loop; pass 2
 * reuses the words read in pass 1. Measured 25–30% faster per query than the
 * loop for 8-answer sets. Same tiers and arithmetic as `weightedSmall`,
 * repeated on purpose: with the tiers and pass 2 as one function both paths
 * call, this path measured ~20% slower (V8 left that function's own callees
 * as calls), most of the gain gone.
 */
function weightedUpTo8(
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
  const live = -1 >>> (32 - n);
  const p0 = word[first + 0] as number;
  const p1 = word[first + 1] as number;
  const p2 = word[first + 2] as number;
  const p3 = word[first + 3] as number;
  const p4 = word[first + 4] as number;
  const p5 = word[first + 5] as number;
  const p6 = word[first + 6] as number;
  const p7 = word[first + 7] as number;
  // Health of answer k as bit k (HealthMask selects by the status).
  const h0 = ((p0 >>> MASK_SHIFT) >>> (statuses[p0 & SLOT_MASK] as number)) & 1;
  const h1 = ((p1 >>> MASK_SHIFT) >>> (statuses[p1 & SLOT_MASK] as number)) & 1;
  const h2 = ((p2 >>> MASK_SHIFT) >>> (statuses[p2 & SLOT_MASK] as number)) & 1;
  const h3 = ((p3 >>> MASK_SHIFT) >>> (statuses[p3 & SLOT_MASK] as number)) & 1;
  const h4 = ((p4 >>> MASK_SHIFT) >>> (statuses[p4 & SLOT_MASK] as number)) & 1;
  const h5 = ((p5 >>> MASK_SHIFT) >>> (statuses[p5 & SLOT_MASK] as number)) & 1;
  const h6 = ((p6 >>> MASK_SHIFT) >>> (statuses[p6 & SLOT_MASK] as number)) & 1;
  const h7 = ((p7 >>> MASK_SHIFT) >>> (statuses[p7 & SLOT_MASK] as number)) & 1;
  const bits = (h0 | (h1 << 1) | (h2 << 2) | (h3 << 3) | (h4 << 4) | (h5 << 5) | (h6 << 6) | (h7 << 7)) & live;
  const sumHW =
    ((p0 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 0) & 1))) +
    ((p1 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 1) & 1))) +
    ((p2 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 2) & 1))) +
    ((p3 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 3) & 1))) +
    ((p4 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 4) & 1))) +
    ((p5 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 5) & 1))) +
    ((p6 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 6) & 1))) +
    ((p7 >>> WEIGHT_SHIFT) & (0 - ((bits >>> 7) & 1)));
  const sumW = plan.setWeightSum[set] as number;
  const healthyZero = bits & (plan.setZeroWeights[set] as number);
  const a = (0 - sumHW) >>> 31;
  const b = (1 - a) & ((healthyZero | (0 - healthyZero)) >>> 31);
  const none = 1 - ((bits | (0 - bits)) >>> 31);
  const anyW = (0 - sumW) >>> 31;
  const eligible = (bits & (0 - a)) | (healthyZero & (0 - b)) | (live & (0 - none));
  const byWeight = a | (none & anyW);
  const r = pickIndex(
    rng,
    (sumHW & (0 - a)) + (bitCount(healthyZero) & (0 - b)) + ((sumW + (n & (anyW - 1))) & (0 - none)),
  );
  // Pass 2 as in chosenIndex; past n, cum stays at the total (> r) and adds nothing.
  const equal = 1 - byWeight;
  const wMask = 0 - byWeight;
  let cum = 0;
  let idx = 0;
  cum += (((p0 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 0) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p1 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 1) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p2 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 2) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p3 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 3) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p4 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 4) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p5 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 5) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p6 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 6) & 1));
  idx += (cum - r - 1) >>> 31;
  cum += (((p7 >>> WEIGHT_SHIFT) & wMask) + equal) & (0 - ((eligible >>> 7) & 1));
  idx += (cum - r - 1) >>> 31;
  out[0] = first + idx;
  return 1 - (failMode & none);
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
  const r = pickIndex(
    rng,
    (sumHW & (0 - a)) + (bitCount(healthyZero) & (0 - b)) + ((sumW + (n & (anyW - 1))) & (0 - none)),
  );
  out[0] = first + chosenIndex(word, first, n, eligible, byWeight, r);
  return 1 - (failMode & none);
}

/**
 * Pass 2: the index of the first eligible answer whose running share
 * exceeds `r` (shares are weights when `byWeight` is 1, else 1 each). Every
 * answer is visited; the eligibility bit masks the share.
 */
function chosenIndex(
  word: Int32Array,
  first: number,
  n: number,
  eligible: number,
  byWeight: number,
  r: number,
): number {
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
    // Masks (0 - bit), not products with the health bit: V8 guards an int32
    // product of 0 against -0 with a branch, so a product's cost follows
    // health (measured on failover: 0.97 and 1.03 of healthy, now flat).
    sumHW += w & (0 - h);
    cntHZ += h & z;
    sumW += w;
    cntH += h;
  }
  // x > 0 as 0/1 for small non-negative x, without a branch. `0 - x`, not
  // `-x`: -0 is a double, and one would turn this arithmetic to floats.
  const a = (0 - sumHW) >>> 31;
  const b = (1 - a) & ((0 - cntHZ) >>> 31);
  const none = 1 - ((0 - cntH) >>> 31);
  const anyW = (0 - sumW) >>> 31;
  const c = none & anyW;
  const d = none & (1 - anyW);
  const total = (sumHW & (0 - a)) + (cntHZ & (0 - b)) + (sumW & (0 - c)) + (n & (0 - d));
  const r = pickIndex(rng, total);
  let cum = 0;
  let idx = 0;
  for (let k = 0; k < n; k++) {
    const h = out[k] as number;
    const w = (word[first + k] as number) >>> WEIGHT_SHIFT;
    const z = (w - 1) >>> 31;
    cum += (w & (0 - (a & h))) + (b & h & z) + (w & (0 - c)) + d;
    idx += (cum - r - 1) >>> 31; // 1 while cum <= r: the chosen one is the first with cum > r
  }
  out[0] = first + idx;
  return 1 - (failMode & none);
}
