import type { Plan } from '../config/plan.js';
import { pickIndex, type RandomState } from './random.js';
import { selectSimple } from './simple.js';
import { selectWeighted } from './weighted.js';
import { selectFailover } from './failover.js';
import { selectMultivalue } from './multivalue.js';

// Local copies of plan.ts's layout (see weighted.ts for why), pinned by
// test/resolve-answer-word-layout.test.ts.
const SLOT_MASK = 0xfffff;
const MASK_SHIFT = 20;
const WEIGHT_SHIFT = 23;
const POLICY_WEIGHTED = 1;
const POLICY_FAILOVER = 2;
const POLICY_MULTIVALUE = 3;
export const LAYOUT_COPIES = {
  SLOT_MASK,
  MASK_SHIFT,
  WEIGHT_SHIFT,
  POLICY_WEIGHTED,
  POLICY_FAILOVER,
  POLICY_MULTIVALUE,
} as const;

/**
 * Per-plan scratch of tree evaluation, made once per plan (on its first
 * tree query), so a query allocates nothing.
 */
export class TreeScratch {
  /** Health of every answer as the tree sees it (0/1), by answer index. */
  readonly health: Uint8Array;
  /** 1 + set → 1 when the set has a healthy answer; entry 0 is 1, so a value answer (alias 0) reads "healthy". */
  readonly anyHealthy: Uint8Array;
  /** Per set with alias answers: the answer its policy chose, or -1 (fail closed). */
  readonly chosen: Int32Array;
  /** Per leaf set of a tree (no alias answers): how many answers its selector wrote to `leafOut[set]`. */
  readonly leafCount: Int32Array;
  /** Per leaf set of a tree: its own output region (views of one buffer, made here once), else null. */
  readonly leafOut: (Int32Array | null)[];
  constructor(readonly plan: Plan) {
    this.health = new Uint8Array(plan.answerCount);
    this.anyHealthy = new Uint8Array(plan.setCount + 1);
    this.anyHealthy[0] = 1;
    this.chosen = new Int32Array(plan.setCount);
    this.leafCount = new Int32Array(plan.setCount);
    this.leafOut = new Array<Int32Array | null>(plan.setCount).fill(null);
    // Every set that is a leaf of some tree gets room for its whole length.
    const leaves = new Set<number>();
    for (let k = 0; k < plan.treeNodes.length; k++) {
      const s = plan.treeNodes[k] as number;
      if ((plan.setTreeLength[s] as number) === 0) leaves.add(s);
    }
    let size = 0;
    for (const s of leaves) size += Math.max(1, plan.setLength[s] as number);
    const buffer = new Int32Array(size);
    let at = 0;
    for (const s of leaves) {
      const n = Math.max(1, plan.setLength[s] as number);
      this.leafOut[s] = buffer.subarray(at, at + n);
      at += n;
    }
  }
}

/**
 * Evaluates the whole alias tree of `root`, follows the chosen path, and
 * writes the answers it ends at to `out` (answer indices); returns their
 * number (0: a fail-closed set chose nothing).
 *
 * The rule, Route 53's: an answer is healthy when its own check passes (no
 * check: healthy) and, for an alias with evaluateTargetHealth, its target
 * set has at least one healthy answer; an alias without it is healthy
 * unless its own check fails. Each set then chooses among its answers by
 * its policy with these healths, "all unhealthy → as if all healthy" (or
 * fail closed) at every level.
 *
 * Constant work: every set of the tree, in post-order (targets first), reads
 * every answer's status and computes its health and the set's "any healthy"
 * on every query; every set with alias answers makes its choice (one random
 * draw when weighted), and every leaf set runs its own selector into its own
 * region, whether or not the chosen path passes through it. Only the walk
 * down the chosen path (at most MAX_ALIAS_DEPTH reads) and the copy of the
 * chosen leaf's answers follow the choice.
 */
export function evaluateTree(
  plan: Plan,
  statuses: Uint8Array,
  root: number,
  rng: RandomState,
  sc: TreeScratch,
  out: Int32Array,
): number {
  const nodes = plan.treeNodes;
  const from = plan.setTreeFirst[root] as number;
  const to = from + (plan.setTreeLength[root] as number);
  const word = plan.answerWord;
  const alias = plan.answerAlias;
  const eth = plan.answerEth;
  const health = sc.health;
  const any = sc.anyHealthy;
  const q = plan.setQuery;
  for (let k = from; k < to; k++) {
    const s = nodes[k] as number;
    const first = q[2 * s] as number;
    const n = (q[2 * s + 1] as number) & 0xff;
    let anyH = 0;
    for (let i = first; i < first + n; i++) {
      const p = word[i] as number;
      const own = ((p >>> MASK_SHIFT) >>> (statuses[p & SLOT_MASK] as number)) & 1;
      // Target health counts only with evaluateTargetHealth; any[0] = 1 stands for "no target".
      const h = own & ((any[alias[i] as number] as number) | (1 - (eth[i] as number)));
      health[i] = h;
      anyH |= h;
    }
    any[s + 1] = anyH;
    if ((plan.setTreeLength[s] as number) > 0) sc.chosen[s] = choose(plan, s, first, n, health, rng);
    else sc.leafCount[s] = selectLeaf(plan, statuses, s, first, n, rng, sc.leafOut[s] as Int32Array);
  }
  // Down the chosen path: an alias leads to its target set; a set without aliases is the leaf.
  let set = root;
  for (let depth = 0; depth < MAX_WALK; depth++) {
    const a = sc.chosen[set] as number;
    if (a < 0) return 0;
    const t = alias[a] as number;
    if (t === 0) {
      out[0] = a;
      return 1;
    }
    set = t - 1;
    if ((plan.setTreeLength[set] as number) === 0) {
      const count = sc.leafCount[set] as number;
      const leaf = sc.leafOut[set] as Int32Array;
      for (let k = 0; k < count; k++) out[k] = leaf[k] as number;
      return count;
    }
  }
  return 0;
}

/** Longest walk down a tree (validated: MAX_ALIAS_DEPTH aliases; the bound keeps a bad decoded plan finite). */
const MAX_WALK = 8;

/** A leaf set's own selector, as the resolver's switch would run it. */
function selectLeaf(
  plan: Plan,
  statuses: Uint8Array,
  s: number,
  first: number,
  n: number,
  rng: RandomState,
  out: Int32Array,
): number {
  const failMode = plan.setFailMode[s] as number;
  switch (plan.setPolicy[s]) {
    case POLICY_WEIGHTED:
      return selectWeighted(plan, statuses, first, n, failMode, rng, out, s);
    case POLICY_FAILOVER:
      return selectFailover(plan, statuses, first, n, failMode, rng, out);
    case POLICY_MULTIVALUE:
      return selectMultivalue(plan, statuses, first, n, failMode, rng, out);
    default:
      return selectSimple(plan, statuses, first, n, failMode, rng, out);
  }
}

/**
 * The answer set `s` chooses with the tree's healths, or -1 for none: the
 * failover and weighted rules of failover.ts and weighted.ts, on health
 * read from `health` instead of the status table. A simple set with an
 * alias has that one answer.
 */
function choose(plan: Plan, s: number, first: number, n: number, health: Uint8Array, rng: RandomState): number {
  const failMode = plan.setFailMode[s] as number;
  switch (plan.setPolicy[s]) {
    case POLICY_FAILOVER: {
      const last = first + n - 1;
      const hp = health[first] as number;
      const hs = (health[last] as number) & (n - 1);
      const pick = first + ((last - first) & (0 - ((1 - hp) & hs)));
      const empty = failMode & (1 - hp) & (1 - hs);
      return pick | (0 - empty);
    }
    case POLICY_WEIGHTED:
      return chooseWeighted(plan.answerWord, first, n, failMode, health, rng);
    default:
      return first;
  }
}

/** Weighted tiers a–d (see weighted.ts) over `health`; every answer visited twice, no early exit. */
function chooseWeighted(
  word: Int32Array,
  first: number,
  n: number,
  failMode: number,
  health: Uint8Array,
  rng: RandomState,
): number {
  let sumHW = 0;
  let cntHZ = 0;
  let sumW = 0;
  let cntH = 0;
  for (let i = first; i < first + n; i++) {
    const h = health[i] as number;
    const w = (word[i] as number) >>> WEIGHT_SHIFT;
    sumHW += w & (0 - h);
    cntHZ += h & ((w - 1) >>> 31);
    sumW += w;
    cntH += h;
  }
  const a = (0 - sumHW) >>> 31;
  const b = (1 - a) & ((0 - cntHZ) >>> 31);
  const none = 1 - ((0 - cntH) >>> 31);
  const anyW = (0 - sumW) >>> 31;
  const c = none & anyW;
  const d = none & (1 - anyW);
  const r = pickIndex(rng, (sumHW & (0 - a)) + (cntHZ & (0 - b)) + (sumW & (0 - c)) + (n & (0 - d)));
  let cum = 0;
  let idx = 0;
  for (let i = first; i < first + n; i++) {
    const h = health[i] as number;
    const w = (word[i] as number) >>> WEIGHT_SHIFT;
    cum += (w & (0 - (a & h))) + (b & h & ((w - 1) >>> 31)) + (w & (0 - c)) + d;
    idx += (cum - r - 1) >>> 31;
  }
  return (first + idx) | (0 - (failMode & none));
}
