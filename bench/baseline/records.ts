import { UrndError } from '../../src/errors.js';
import { FailMode, MULTIVALUE_MAX_RETURNED, Policy, RecordType, type Plan } from '../../src/config/plan.js';
import { STATUS_COUNT, type Status } from '../../src/table/layout.js';

/**
 * The resolver side of the event-driven baseline: record sets whose pools of
 * currently-healthy answers are kept up to date by status events, the way
 * event-driven DNS servers and load balancers keep "active pools" (a health
 * event flips a member; the pool is rebuilt; queries pick from the pool and
 * never look at health themselves).
 *
 *   event { check, status }
 *      │ checkSlot (Map)          slot → sets (reverse index, compressed rows)
 *      ▼                              │
 *   statuses[slot] = status ─────────►│ for each set that uses the slot:
 *                                     ▼   rebuild its pool: scan its answers,
 *   pool[setFirst[set] …] ◄────────────   keep those healthy under answerMask
 *      │
 *      ▼  query: name → set → pick up to 8 of the pool at random (multivalue)
 *
 * Generous to the baseline, on purpose: pools are preallocated typed arrays
 * rebuilt in place (no allocation per event), the reverse index is built once,
 * and the health rule is the plan's own `answerMask` (unknown counts healthy,
 * as Route 53 and the engine do), so both designs answer alike.
 *
 * The cost of an event is O(answers of the sets its check is in); the cost of
 * N events is N times that: the work scales with how much changed, which is
 * what the propagation scenario measures.
 *
 * Only the multivalue policy is implemented (the scenario's records are all
 * multivalue); a plan with another policy is refused.
 */
export class EventDrivenRecords {
  readonly plan: Plan;
  /** The last status each slot's events said (0 unknown until the first event). */
  readonly statuses: Uint8Array;
  /** Per set: its healthy answers are pool[setFirst[set] … setFirst[set] + poolCount[set]), in answer order. */
  readonly pool: Int32Array;
  readonly poolCount: Int32Array;
  /** Sets the last `apply` rebuilt: touched[0 … return value). */
  readonly touched: Int32Array;
  /** Events applied, and events naming a check the plan does not have. */
  applied = 0;
  unknownChecks = 0;
  private readonly setStart: Int32Array;
  private readonly setOfSlot: Int32Array;
  private readonly pick = new Int32Array(128);
  private rng: number;

  constructor(plan: Plan, seed = 0x9e3779b9) {
    for (let set = 0; set < plan.setCount; set++) {
      if (plan.setPolicy[set] !== Policy.MULTIVALUE)
        throw new UrndError(
          'URND_ERR_ARGUMENT',
          `event-driven baseline: set ${plan.setName[set]} is not multivalue (only multivalue is implemented)`,
        );
    }
    this.plan = plan;
    const cap = plan.cell.capacity;
    this.statuses = new Uint8Array(cap);
    // Reverse index, slot → sets, as compressed rows.
    const count = new Int32Array(cap + 1);
    const seen = new Int32Array(cap).fill(-1);
    for (let set = 0; set < plan.setCount; set++) {
      const first = plan.setFirst[set] as number;
      for (let i = first; i < first + (plan.setLength[set] as number); i++) {
        if (plan.answerCheck[i] === null) continue;
        const s = plan.answerSlot[i] as number;
        if (seen[s] === set) continue;
        seen[s] = set;
        count[s + 1] = (count[s + 1] as number) + 1;
      }
    }
    for (let s = 0; s < cap; s++) count[s + 1] = (count[s + 1] as number) + (count[s] as number);
    this.setStart = count;
    this.setOfSlot = new Int32Array(count[cap] as number);
    const fill = new Int32Array(cap);
    seen.fill(-1);
    let most = 0;
    for (let set = 0; set < plan.setCount; set++) {
      const first = plan.setFirst[set] as number;
      for (let i = first; i < first + (plan.setLength[set] as number); i++) {
        if (plan.answerCheck[i] === null) continue;
        const s = plan.answerSlot[i] as number;
        if (seen[s] === set) continue;
        seen[s] = set;
        this.setOfSlot[(count[s] as number) + (fill[s] as number)] = set;
        fill[s] = (fill[s] as number) + 1;
        most = Math.max(most, fill[s] as number);
      }
    }
    this.touched = new Int32Array(Math.max(1, most));
    this.pool = new Int32Array(plan.answerCount);
    this.poolCount = new Int32Array(plan.setCount);
    for (let set = 0; set < plan.setCount; set++) this.rebuild(set);
    this.rng = seed >>> 0 || 1;
  }

  /**
   * Applies one event: the check's new status, then every set that uses the
   * check gets its pool rebuilt. Returns how many sets were rebuilt (listed
   * in `touched`), or -1 for a check the plan does not have or a status
   * that is not one.
   */
  apply(check: string, status: number): number {
    const slot = this.plan.checkSlot.get(check);
    if (slot === undefined || !Number.isInteger(status) || status < 0 || status >= STATUS_COUNT) {
      this.unknownChecks++;
      return -1;
    }
    return this.applySlot(slot, status as Status);
  }

  /** `apply` by slot. */
  applySlot(slot: number, status: Status): number {
    this.statuses[slot] = status;
    const end = this.setStart[slot + 1] as number;
    let n = 0;
    for (let k = this.setStart[slot] as number; k < end; k++) {
      const set = this.setOfSlot[k] as number;
      this.rebuild(set);
      this.touched[n++] = set;
    }
    this.applied++;
    return n;
  }

  /** The set of a name (lower case, no trailing dot), or -1. */
  setOf(name: string, type: RecordType = RecordType.A): number {
    return (this.plan.setByType[type] as ReadonlyMap<string, number>).get(name) ?? -1;
  }

  /** Copies the set's pool (its healthy answers, in answer order) into `out`; returns how many. */
  healthyInto(set: number, out: Int32Array): number {
    const first = this.plan.setFirst[set] as number;
    const n = this.poolCount[set] as number;
    for (let k = 0; k < n; k++) out[k] = this.pool[first + k] as number;
    return n;
  }

  /**
   * What a query for the set answers: up to 8 answers of its pool at
   * random; when the pool is empty, nothing (`answer-none`) or up to 8 of
   * all its answers (`answer-all`, Route 53's default). Answer indices go to
   * `out` (128 entries); returns how many.
   */
  answersInto(set: number, out: Int32Array): number {
    const plan = this.plan;
    const first = plan.setFirst[set] as number;
    let n = this.poolCount[set] as number;
    const from = this.pick;
    if (n > 0) {
      for (let k = 0; k < n; k++) from[k] = this.pool[first + k] as number;
    } else {
      if (plan.setFailMode[set] === FailMode.ANSWER_NONE) return 0;
      n = plan.setLength[set] as number;
      for (let k = 0; k < n; k++) from[k] = first + k;
    }
    const take = Math.min(MULTIVALUE_MAX_RETURNED, n);
    for (let j = 0; j < take; j++) {
      const k = j + this.nextIndex(n - j);
      const t = from[j] as number;
      from[j] = from[k] as number;
      from[k] = t;
      out[j] = from[j] as number;
    }
    return take;
  }

  /** Rebuilds one set's pool from the statuses its answers' checks have now. */
  private rebuild(set: number): void {
    const plan = this.plan;
    const first = plan.setFirst[set] as number;
    const end = first + (plan.setLength[set] as number);
    let n = 0;
    for (let i = first; i < end; i++) {
      if ((((plan.answerMask[i] as number) >>> (this.statuses[plan.answerSlot[i] as number] as number)) & 1) === 1)
        this.pool[first + n++] = i;
    }
    this.poolCount[set] = n;
  }

  /** xorshift32, uniform enough for picking answers. */
  private nextIndex(n: number): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return Math.floor((this.rng / 4294967296) * n);
  }
}
