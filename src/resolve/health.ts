import type { Plan } from '../config/plan.js';

/**
 * 1 if answer `i` counts as healthy under `statuses`, else 0: one load of the
 * status byte and one shift of the answer's HealthMask. The same two loads and
 * one shift run for a plain, inverted, disabled or unchecked answer alike.
 */
export function answerHealthy(plan: Plan, statuses: Uint8Array, i: number): number {
  return ((plan.answerMask[i] as number) >>> (statuses[plan.answerSlot[i] as number] as number)) & 1;
}
