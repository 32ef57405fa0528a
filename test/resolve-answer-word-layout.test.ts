import { describe, expect, it } from 'vitest';
import {
  ANSWER_MASK_SHIFT,
  ANSWER_SLOT_MASK,
  ANSWER_WEIGHT_SHIFT,
  ANSWER_WORD_PADDING,
  MULTIVALUE_MAX_RETURNED,
  QUERY_TREE,
  packAnswerWords,
} from '../src/config/plan.js';
import { MAX_CAPACITY, RESULT_MASK, RUN_MASK, RUN_SHIFT } from '../src/table/layout.js';
import * as weighted from '../src/resolve/weighted.js';
import * as multivalue from '../src/resolve/multivalue.js';
import * as failover from '../src/resolve/failover.js';
import * as tree from '../src/resolve/tree.js';
import * as ip from '../src/resolve/ip.js';
import { CidrMatch } from '../src/resolve/cidr-table.js';
import * as aggregator from '../src/aggregate/aggregator.js';
import * as resolver from '../src/resolve/resolver.js';
import { Policy } from '../src/config/plan.js';

/**
 * The hot loops keep module-local copies of layout constants (an imported
 * binding costs a reload and a TDZ check per use). These must never drift
 * from the one definition in plan.ts / layout.ts.
 */
describe('hot-path copies of the layouts', () => {
  it('selectors use plan.ts answer-word layout', () => {
    for (const m of [weighted, multivalue, failover, tree, ip]) {
      expect(m.LAYOUT_COPIES.SLOT_MASK).toBe(ANSWER_SLOT_MASK);
      expect(m.LAYOUT_COPIES.MASK_SHIFT).toBe(ANSWER_MASK_SHIFT);
    }
    expect(weighted.LAYOUT_COPIES.WEIGHT_SHIFT).toBe(ANSWER_WEIGHT_SHIFT);
    expect(tree.LAYOUT_COPIES.WEIGHT_SHIFT).toBe(ANSWER_WEIGHT_SHIFT);
    expect([
      tree.LAYOUT_COPIES.POLICY_WEIGHTED,
      tree.LAYOUT_COPIES.POLICY_FAILOVER,
      tree.LAYOUT_COPIES.POLICY_MULTIVALUE,
    ]).toEqual([Policy.WEIGHTED, Policy.FAILOVER, Policy.MULTIVALUE]);
    expect(multivalue.LAYOUT_COPIES.MAX_RETURNED).toBe(MULTIVALUE_MAX_RETURNED);
    expect(ip.LAYOUT_COPIES.SCOPE).toBe(CidrMatch.SCOPE);
  });

  it('the resolver switch uses plan.ts policy values', () => {
    expect([
      resolver.POLICY_COPIES.POLICY_WEIGHTED,
      resolver.POLICY_COPIES.POLICY_FAILOVER,
      resolver.POLICY_COPIES.POLICY_MULTIVALUE,
      resolver.POLICY_COPIES.POLICY_IP,
      resolver.POLICY_COPIES.POLICY_TREE,
    ]).toEqual([Policy.WEIGHTED, Policy.FAILOVER, Policy.MULTIVALUE, Policy.IP, QUERY_TREE]);
  });

  it('the aggregator uses layout.ts observation-word fields', () => {
    expect(aggregator.OBS_COPIES.OBS_RESULT_MASK).toBe(RESULT_MASK);
    expect(aggregator.OBS_COPIES.OBS_RUN_SHIFT).toBe(RUN_SHIFT);
    expect(aggregator.OBS_COPIES.OBS_RUN_MASK).toBe(RUN_MASK);
  });

  it('an answer word holds every slot of the largest cell, a 3-bit mask and an 8-bit weight', () => {
    const words = packAnswerWords(
      Uint32Array.of(MAX_CAPACITY - 1, 0),
      Uint8Array.of(0b111, 0b010),
      Uint8Array.of(255, 0),
    );
    expect((words[0] as number) & ANSWER_SLOT_MASK).toBe(MAX_CAPACITY - 1);
    expect(((words[0] as number) >>> ANSWER_MASK_SHIFT) & 7).toBe(0b111);
    expect((words[0] as number) >>> ANSWER_WEIGHT_SHIFT).toBe(255);
    expect(((words[1] as number) >>> ANSWER_MASK_SHIFT) & 7).toBe(0b010);
  });

  it('answer words end in zero padding, so an 8-wide read from the last answer stays in bounds', () => {
    expect(ANSWER_WORD_PADDING).toBeGreaterThanOrEqual(7);
    const words = packAnswerWords(Uint32Array.of(5, 6, 7), Uint8Array.of(1, 1, 1), Uint8Array.of(9, 9, 9));
    expect(words.length).toBe(3 + ANSWER_WORD_PADDING);
    expect(Array.from(words.subarray(3))).toEqual(new Array(ANSWER_WORD_PADDING).fill(0));
  });
});
