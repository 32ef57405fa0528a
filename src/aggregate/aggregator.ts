import { UrndError } from '../errors.js';
import { HealthMask, SlotFlag, SlotKind, type Plan } from '../config/plan.js';
import { RUN_MAX, Status } from '../table/layout.js';
import type { ObservationTable } from '../table/observation-table.js';
import type { StatusTable } from '../table/status-table.js';

// Local copies of layout.ts's observation-word fields, not exported: V8
// reloads an imported or exported binding (a module cell), with its TDZ
// check, at every use in the per-slot loop, while a module-local const is
// folded into the code. test/resolve-answer-word-layout.test.ts pins the
// copies to layout.ts through `OBS_COPIES`.
const OBS_RESULT_MASK = 0b11;
const OBS_RUN_SHIFT = 2;
const OBS_RUN_MASK = 0b1111;
export const OBS_COPIES = { OBS_RESULT_MASK, OBS_RUN_SHIFT, OBS_RUN_MASK } as const;

/**
 * What the aggregator reads of a plan. A compiled `Plan` is one; benchmarks
 * and tests may build the four per-slot facts directly (see README.md).
 *
 * - `slotKind`, `slotFlags`, `slotThreshold`: capacity entries each.
 * - `checks`: read for the children of calculated checks (`childSlots`) and
 *   for check ids, which `setPlan` compares to know whether a slot changed
 *   owner. A PROBE slot with no entry in `checks` is fine (it has no id).
 */
export type AggregatorPlan = Pick<Plan, 'cell' | 'slotKind' | 'slotFlags' | 'slotThreshold' | 'checks'>;

export interface AggregatorOptions {
  /**
   * A check is healthy when MORE than this fraction of the vantage points
   * that have a verdict say healthy (Route 53: 18%). 0 ≤ f ≤ 1; compared in
   * whole parts per million, so 1/5 = 20% > 18% exactly. Default 0.18.
   */
  readonly healthyFraction?: number;
}

/**
 * What one tick did. `tick()` returns the same object every time (no
 * allocation per tick): read it before the next tick, or copy it.
 */
export interface TickStats {
  /** Ticks so far, this one included. */
  ticks: number;
  /** Used slots (probe and calculated) per status after this tick. */
  healthy: number;
  unhealthy: number;
  unknown: number;
  /** Slots whose status byte changed this tick (unused slots included, e.g. after a reload). */
  changes: number;
  /** The slot last found changed, in scan order (probe pass, then calculated), by any tick; -1 if none yet. */
  lastChangeSlot: number;
  /** `nowMs` of the tick that found `lastChangeSlot` changed; 0 if none yet. */
  lastChangeAtMs: number;
  /** Duration of the tick in ms (performance.now()), publish included. */
  tickMs: number;
  /** Work done, counted in the loops themselves, so tests can compare it across health states. */
  slotsScanned: number;
  observationsRead: number;
  childrenRead: number;
  /** The StatusTable sequence `publish()` returned. */
  sequence: number;
}

/** Default share of healthy votes a check must exceed (Route 53's 18%). */
export const DEFAULT_HEALTHY_FRACTION = 0.18;

/** Fractions are compared as whole parts per million. */
const PPM = 1_000_000;

/** A run threshold no run reaches (the run count saturates at RUN_MAX). */
const NEVER_REACHED = RUN_MAX + 1;

/**
 * Per-slot class, one byte, chosen at construction. It picks the row of
 * OUTPUT: what status the probe pass writes for the slot.
 */
const SlotClass = {
  PLAIN: 0,
  INVERTED: 1,
  DISABLED: 2,
  DISABLED_INVERTED: 3,
  UNUSED: 4,
  /** Written by the calculated pass; the probe pass rewrites the byte it holds. */
  CALCULATED: 5,
} as const;
const CLASS_COUNT = 6;

/**
 * OUTPUT[(cls * 4 + vote) * 4 + current] is the status the probe pass writes,
 * given the slot's class, the vantage vote (0 unknown, 1 healthy,
 * 2 unhealthy) and the byte the slot holds now. One load replaces every
 * "if inverted / if disabled / if unused" a slot could take, so a slot does
 * the same work whatever its state. The calculated row gives back `current`,
 * so the probe pass never shows readers a half-made value for a calculated
 * slot: it rewrites the old byte, and the calculated pass writes the new one.
 * A vote or status of 3 never occurs (statuses are 0..2); those entries
 * exist only so that every index the arithmetic can form is in range.
 */
const OUTPUT = buildOutputTable();

function buildOutputTable(): Uint8Array {
  const t = new Uint8Array(CLASS_COUNT * 16);
  const { UNKNOWN: U, HEALTHY: H, UNHEALTHY: X } = Status;
  // vote → status, per class (current ignored) …
  const byVote: Record<number, readonly number[]> = {
    [SlotClass.PLAIN]: [U, H, X, U],
    [SlotClass.INVERTED]: [U, X, H, U], // unknown stays unknown
    [SlotClass.DISABLED]: [H, H, H, H], // Route 53: a disabled check is always healthy
    [SlotClass.DISABLED_INVERTED]: [X, X, X, X], // … and inverting it makes it always unhealthy
    [SlotClass.UNUSED]: [U, U, U, U], // dummies: scanned, always unknown
  };
  for (let cls = 0; cls < CLASS_COUNT; cls++) {
    for (let vote = 0; vote < 4; vote++) {
      for (let current = 0; current < 4; current++) {
        const value =
          cls === SlotClass.CALCULATED
            ? current < 3
              ? current
              : U
            : ((byVote[cls] as readonly number[])[vote] as number);
        t[(cls * 4 + vote) * 4 + current] = value;
      }
    }
  }
  return t;
}

/** 1 for the classes whose slot the probe pass counts in the stats (probe checks). */
const COUNTED_BY_PROBE_PASS = Uint8Array.of(1, 1, 1, 1, 0, 0);

/** A calculated check's output per its own flags (flags & 3) and its child count verdict (1 healthy, 2 unhealthy). */
const CALC_OUTPUT = buildCalcOutputTable();

function buildCalcOutputTable(): Uint8Array {
  const t = new Uint8Array(16);
  for (let flags = 0; flags < 4; flags++) {
    for (let raw = 0; raw < 4; raw++) t[flags * 4 + raw] = OUTPUT[(flags * 4 + raw) * 4] as number;
  }
  return t;
}

/**
 * The HealthMask a child counts with, by the child's own flags (flags & 3).
 *
 * Which rule is right, given the probe pass has already written the child's
 * post-inversion, post-disable status into its slot? Walk the four cases:
 *   plain     byte = the vote.          CHECKED (unknown, healthy → 1): a child
 *             with no verdict yet counts healthy, as Route 53 treats a new check.
 *   inverted  byte = the inverted vote. INVERTED (healthy → 1 only): the byte is
 *             already inverted, so healthy-byte means the inverted check is
 *             healthy; an UNKNOWN byte counts unhealthy, as Route 53 treats a
 *             new inverted check (healthy until data, then inverted).
 *   disabled  byte = HEALTHY always.    ALWAYS: agrees with the byte.
 *   dis+inv   byte = UNHEALTHY always.  NEVER: agrees with the byte.
 * So the masks read the post-inversion byte (never invert twice) and differ
 * from "count the byte" only for UNKNOWN: plain counts it healthy, inverted
 * unhealthy. This is exactly `Plan.answerMask`'s rule, so a record answer and
 * a calculated check judge the same slot the same way.
 */
const CHILD_MASK = Uint8Array.of(HealthMask.CHECKED, HealthMask.INVERTED, HealthMask.ALWAYS, HealthMask.NEVER);

/** Per-slot and per-calculated-check arrays derived from a plan at construction or reload. */
interface Compiled {
  /** Per slot: consecutive results needed to change a vantage's verdict; NEVER_REACHED for non-probe slots. */
  readonly runThreshold: Uint8Array;
  /** Per slot: SlotClass. */
  readonly slotClass: Uint8Array;
  /** Calculated checks, in slot order. */
  readonly calcCount: number;
  readonly calcSlot: Uint32Array;
  /** healthyThreshold of each calculated check. */
  readonly calcThreshold: Uint32Array;
  /** flags & 3 of each calculated check. */
  readonly calcFlags: Uint8Array;
  /** Children of calculated check k are childSlot[childStart[k] .. childStart[k] + childCount[k]). */
  readonly childStart: Uint32Array;
  readonly childCount: Uint32Array;
  readonly childSlot: Uint32Array;
  /** HealthMask of each child, by the child's own flags. */
  readonly childMask: Uint8Array;
  /** Check id → slot and slot kind, to tell on reload which slots changed owner. */
  readonly idOfSlot: ReadonlyMap<number, string>;
  readonly slotKind: Uint8Array;
}

function argumentError(message: string): UrndError {
  return new UrndError('URND_ERR_ARGUMENT', `aggregator: ${message}`);
}

function compile(plan: AggregatorPlan, capacity: number): Compiled {
  if (plan.cell.capacity !== capacity)
    throw argumentError(`plan capacity ${plan.cell.capacity} is not the tables' capacity ${capacity}`);
  for (const [name, array] of [
    ['slotKind', plan.slotKind],
    ['slotFlags', plan.slotFlags],
    ['slotThreshold', plan.slotThreshold],
  ] as const) {
    if (array.length !== capacity) throw argumentError(`plan.${name} has ${array.length} entries, not ${capacity}`);
  }
  const runThreshold = new Uint8Array(capacity);
  const slotClass = new Uint8Array(capacity);
  const slotKind = Uint8Array.from(plan.slotKind);
  let calcCount = 0;
  for (let s = 0; s < capacity; s++) {
    const kind = plan.slotKind[s] as number;
    const flags = (plan.slotFlags[s] as number) & (SlotFlag.INVERTED | SlotFlag.DISABLED);
    if (kind === SlotKind.PROBE) {
      runThreshold[s] = Math.min(plan.slotThreshold[s] as number, NEVER_REACHED);
      slotClass[s] = flags; // PLAIN | INVERTED | DISABLED | DISABLED_INVERTED, by the flag bits
    } else if (kind === SlotKind.CALCULATED) {
      runThreshold[s] = NEVER_REACHED;
      slotClass[s] = SlotClass.CALCULATED;
      calcCount++;
    } else if (kind === SlotKind.UNUSED) {
      runThreshold[s] = NEVER_REACHED;
      slotClass[s] = SlotClass.UNUSED;
    } else {
      throw argumentError(`slot ${s} has unknown kind ${kind}`);
    }
  }

  const idOfSlot = new Map<number, string>();
  const childrenOfSlot = new Map<number, readonly number[]>();
  for (const check of plan.checks) {
    idOfSlot.set(check.slot, check.id);
    if (check.kind === 'calculated') childrenOfSlot.set(check.slot, check.childSlots);
  }

  const calcSlot = new Uint32Array(calcCount);
  const calcThreshold = new Uint32Array(calcCount);
  const calcFlags = new Uint8Array(calcCount);
  const childStart = new Uint32Array(calcCount);
  const childCount = new Uint32Array(calcCount);
  let totalChildren = 0;
  for (const children of childrenOfSlot.values()) totalChildren += children.length;
  const childSlot = new Uint32Array(totalChildren);
  const childMask = new Uint8Array(totalChildren);
  let k = 0;
  let j = 0;
  for (let s = 0; s < capacity; s++) {
    if (slotClass[s] !== SlotClass.CALCULATED) continue;
    const children = childrenOfSlot.get(s) ?? [];
    calcSlot[k] = s;
    calcThreshold[k] = plan.slotThreshold[s] as number;
    calcFlags[k] = (plan.slotFlags[s] as number) & 3;
    childStart[k] = j;
    childCount[k] = children.length;
    for (const c of children) {
      if (!Number.isInteger(c) || c < 0 || c >= capacity)
        throw argumentError(`calculated check in slot ${s} has child slot ${c} outside 0..${capacity - 1}`);
      // Children must be probes: the calculated pass reads them after the probe pass wrote them this tick.
      if (plan.slotKind[c] !== SlotKind.PROBE)
        throw argumentError(`calculated check in slot ${s} has child slot ${c}, which is not a probe check`);
      childSlot[j] = c;
      childMask[j] = CHILD_MASK[(plan.slotFlags[c] as number) & 3] as number;
      j++;
    }
    k++;
  }
  return {
    runThreshold,
    slotClass,
    calcCount,
    calcSlot,
    calcThreshold,
    calcFlags,
    childStart,
    childCount,
    childSlot,
    childMask,
    idOfSlot,
    slotKind,
  };
}

/**
 * Turns observation words into statuses, one tick over every slot.
 *
 * Per vantage point and slot, a verdict (its own view: unknown, healthy or
 * unhealthy) changes only when the observation's run of identical results
 * reaches the slot's threshold; per slot, the verdicts vote; then inversion
 * and disabling apply; then calculated checks count their children. Every
 * slot takes the same loads, the same arithmetic and the same stores on
 * every tick, whether it is healthy, unhealthy, unknown, disabled or unused.
 * README.md states the rules and their Route 53 counterparts.
 */
export class Aggregator {
  readonly capacity: number;
  readonly vantages: number;
  /** The share of healthy votes a check must exceed, in parts per million. */
  readonly healthyPpm: number;
  private readonly observations: ObservationTable;
  private readonly status: StatusTable;
  /**
   * Each vantage point's verdict per slot, laid out like the observation
   * words (vantage v, slot s at v * capacity + s): 0 unknown, 1 healthy,
   * 2 unhealthy. Owned here; survives reloads.
   */
  private readonly verdicts: Uint8Array;
  /** Per vantage: 1 reporting, 0 silent (see setReporting). */
  private readonly reporting: Uint8Array;
  /**
   * Per slot, the reason word (table/layout.ts) of the last failure seen:
   * each tick takes the reason of the last vantage, in row order, whose
   * latest observation is a failure with a reason; a slot with none keeps
   * what it had. Cleared only when the slot changes owner.
   */
  private readonly lastFailures: Uint16Array;
  private plan: Compiled;
  private readonly tickStats: TickStats = {
    ticks: 0,
    healthy: 0,
    unhealthy: 0,
    unknown: 0,
    changes: 0,
    lastChangeSlot: -1,
    lastChangeAtMs: 0,
    tickMs: 0,
    slotsScanned: 0,
    observationsRead: 0,
    childrenRead: 0,
    sequence: 0,
  };

  constructor(
    plan: AggregatorPlan,
    observations: ObservationTable,
    status: StatusTable,
    options: AggregatorOptions = {},
  ) {
    const fraction = options.healthyFraction ?? DEFAULT_HEALTHY_FRACTION;
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
      throw argumentError(`healthyFraction: ${String(fraction)} is not a number from 0 to 1`);
    }
    if (observations.capacity !== status.capacity) {
      throw argumentError(
        `observation table capacity ${observations.capacity} is not the status table's ${status.capacity}`,
      );
    }
    this.capacity = status.capacity;
    this.vantages = observations.vantages;
    this.healthyPpm = Math.round(fraction * PPM);
    this.observations = observations;
    this.status = status;
    this.verdicts = new Uint8Array(this.vantages * this.capacity);
    this.reporting = new Uint8Array(this.vantages).fill(1);
    this.lastFailures = new Uint16Array(this.capacity);
    this.plan = compile(plan, this.capacity);
  }

  /**
   * Applies a reloaded plan. A reload never resets health: every slot keeps
   * its vantage verdicts and its status byte, so a check whose threshold or
   * flags changed goes on from where it was. Only a slot that changed owner
   * (its check id differs: a check removed, added or replaced) or changed
   * kind (probe ↔ calculated ↔ unused) has its verdicts cleared to unknown,
   * and only that slot. The status table is written by the next tick, never
   * here. A plan that does not fit (wrong capacity, bad child) throws
   * URND_ERR_ARGUMENT and leaves the current plan in place.
   */
  setPlan(plan: AggregatorPlan): void {
    const next = compile(plan, this.capacity);
    const prev = this.plan;
    const cap = this.capacity;
    for (let s = 0; s < cap; s++) {
      if (prev.slotKind[s] === next.slotKind[s] && prev.idOfSlot.get(s) === next.idOfSlot.get(s)) continue;
      for (let v = 0; v < this.vantages; v++) this.verdicts[v * cap + s] = Status.UNKNOWN;
      this.lastFailures[s] = 0;
    }
    this.plan = next;
  }

  /**
   * Says whether vantage `v` is reporting (its observations arrive) or
   * silent. A silent vantage's verdicts are kept, not forgotten: per slot,
   * only the verdicts of reporting vantages that have observed the slot
   * (word result not NONE) vote, and when there are none, every vantage's
   * last verdict votes. So a lost vantage means fewer votes while others
   * can decide and the last verdicts otherwise — never "unknown", which
   * counts as healthy. Every vantage starts reporting. Same work either way:
   * the tick reads this flag for every word.
   */
  setReporting(vantage: number, reporting: boolean): void {
    if (!Number.isInteger(vantage) || vantage < 0 || vantage >= this.vantages)
      throw argumentError(`vantage ${String(vantage)} is outside 0..${this.vantages - 1}`);
    this.reporting[vantage] = reporting ? 1 : 0;
  }

  /** True unless `setReporting(vantage, false)` is in force. */
  isReporting(vantage: number): boolean {
    return this.reporting[vantage] === 1;
  }

  /** Vantage `v`'s own verdict on `slot` (0 unknown, 1 healthy, 2 unhealthy). */
  verdict(vantage: number, slot: number): Status {
    if (!Number.isInteger(vantage) || vantage < 0 || vantage >= this.vantages)
      throw argumentError(`vantage ${String(vantage)} is outside 0..${this.vantages - 1}`);
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity)
      throw argumentError(`slot ${String(slot)} is outside 0..${this.capacity - 1}`);
    return this.verdicts[vantage * this.capacity + slot] as Status;
  }

  /** The reason word (table/failure-reason.ts reads it) of the last failure seen on `slot`; 0 if none. */
  lastFailure(slot: number): number {
    return this.lastFailures[slot] ?? 0;
  }

  /** The stats of the last tick: the object `tick()` returns, zeros before the first. */
  get stats(): Readonly<TickStats> {
    return this.tickStats;
  }

  /**
   * One full pass: every slot of every vantage row, then every calculated
   * check, then `status.publish(nowMs)`. Returns the reused stats object.
   */
  tick(nowMs: number = Date.now()): Readonly<TickStats> {
    const started = performance.now();
    const p = this.plan;
    const cap = this.capacity;
    const nv = this.vantages;
    const words = this.observations.words;
    const verdicts = this.verdicts;
    const statuses = this.status.statuses;
    const runThreshold = p.runThreshold;
    const slotClass = p.slotClass;
    const healthyPpm = this.healthyPpm;
    const reporting = this.reporting;
    const reasons = this.observations.reasons;
    const lastFailures = this.lastFailures;

    let healthy = 0;
    let unhealthy = 0;
    let unknown = 0;
    let changes = 0;
    let lastChangeSlot = -1;
    let scanned = 0;
    let loads = 0;

    // ── probe pass: every slot, dummies and calculated slots included ──────
    for (let s = 0; s < cap; s++) {
      const threshold = runThreshold[s] as number;
      let knownAll = 0;
      let healthyAll = 0;
      let knownFresh = 0;
      let healthyFresh = 0;
      let lastFailure = lastFailures[s] as number;
      for (let v = 0, i = s; v < nv; v++, i += cap) {
        // A plain load: aligned Int32Array reads are tear-free by the JS
        // memory model, and the checker's one Atomics.store publishes result,
        // run and latency together, so this sees a whole word, old or new.
        // No ordering with other words is needed (each stands alone), and
        // Atomics.load is not inlined on Node 20: ~10 ns a word against ~1.
        const word = words[i] as number;
        const result = word & OBS_RESULT_MASK;
        const run = (word >>> OBS_RUN_SHIFT) & OBS_RUN_MASK;
        // 1 when the run reached the threshold (threshold - run - 1 < 0) and
        // the result is SUCCESS or FAILURE (bit 0 xor bit 1; NONE and the
        // never-written 3 keep the old verdict). Arithmetic, not a branch.
        const adopt = ((threshold - run - 1) >>> 31) & (result ^ (result >>> 1)) & 1;
        const previous = verdicts[i] as number;
        // SUCCESS (1) and FAILURE (2) are the numbers of HEALTHY and UNHEALTHY.
        const verdict = previous ^ ((previous ^ result) & (0 - adopt));
        verdicts[i] = verdict;
        // Fresh: the vantage reports and has observed this slot (a restarted
        // checker's "never observed" words are not results).
        const fresh = (reporting[v] as number) & (result ^ (result >>> 1)) & 1;
        const isVerdict = (verdict | (verdict >>> 1)) & 1;
        knownAll += isVerdict;
        healthyAll += verdict & 1;
        knownFresh += isVerdict & fresh;
        healthyFresh += verdict & fresh & 1;
        // The failure's reason, when this word is a FAILURE (2: bit 1 set,
        // bit 0 clear) and carries one; else the slot keeps its last.
        const reason = reasons[i] as number;
        const takeReason = (result >>> 1) & ~result & ((0 - reason) >>> 31) & 1;
        lastFailure = lastFailure ^ ((lastFailure ^ reason) & (0 - takeReason));
        loads++;
      }
      lastFailures[s] = lastFailure;
      // Fresh verdicts decide when there is one; otherwise every vantage's
      // last verdict stands (missing data is never evidence of health).
      const useFresh = 0 - (((0 - knownFresh) >>> 31) & 1);
      const known = knownAll ^ ((knownAll ^ knownFresh) & useFresh);
      const healthyVotes = healthyAll ^ ((healthyAll ^ healthyFresh) & useFresh);
      // Healthy iff healthyVotes / known > fraction, in integers:
      // healthyVotes·10⁶ > ppm·known. At most 64 × 10⁶: fits an int32.
      // Math.imul and a mask, not `*`: V8 guards an int32 product that
      // comes out 0 against -0 with a branch, and here the product is 0
      // exactly when every vantage says unhealthy.
      const isKnown = ((0 - known) >>> 31) & 1;
      const wins = ((Math.imul(healthyPpm, known) - Math.imul(healthyVotes, PPM)) >>> 31) & 1;
      const vote = (2 - wins) & (0 - isKnown);
      const cls = slotClass[s] as number;
      const current = statuses[s] as number;
      const next = OUTPUT[(cls * 4 + vote) * 4 + (current & 3)] as number;
      statuses[s] = next;
      const diff = next ^ current;
      const changed = (diff | (diff >>> 1)) & 1;
      changes += changed;
      lastChangeSlot = lastChangeSlot ^ ((lastChangeSlot ^ s) & (0 - changed));
      const counted = COUNTED_BY_PROBE_PASS[cls] as number;
      // next is 0, 1 or 2: bit 0 says healthy, bit 1 unhealthy, neither unknown.
      healthy += counted & next;
      unhealthy += counted & (next >>> 1);
      unknown += counted & (((next | (next >>> 1)) & 1) ^ 1);
      scanned++;
    }

    // ── calculated pass: after every probe slot of this tick is written ────
    // Children's bytes are this tick's (children are probe slots). A
    // calculated check always has a value, never UNKNOWN: a child with no
    // verdict yet counts as its HealthMask says (plain: healthy).
    const calcSlot = p.calcSlot;
    const calcThreshold = p.calcThreshold;
    const calcFlags = p.calcFlags;
    const childStart = p.childStart;
    const childCount = p.childCount;
    const childSlot = p.childSlot;
    const childMask = p.childMask;
    let childrenRead = 0;
    for (let k = 0; k < p.calcCount; k++) {
      const first = childStart[k] as number;
      const end = first + (childCount[k] as number);
      let healthyChildren = 0;
      for (let j = first; j < end; j++) {
        healthyChildren += ((childMask[j] as number) >>> (statuses[childSlot[j] as number] as number)) & 1;
        childrenRead++;
      }
      // healthyChildren ≥ N ⇔ N - healthyChildren - 1 < 0; N = 0 is always
      // met, N above the child count never.
      const met = (((calcThreshold[k] as number) - healthyChildren - 1) >>> 31) & 1;
      const slot = calcSlot[k] as number;
      const next = CALC_OUTPUT[(calcFlags[k] as number) * 4 + 2 - met] as number;
      const current = statuses[slot] as number;
      statuses[slot] = next;
      const diff = next ^ current;
      const changed = (diff | (diff >>> 1)) & 1;
      changes += changed;
      lastChangeSlot = lastChangeSlot ^ ((lastChangeSlot ^ slot) & (0 - changed));
      healthy += next & 1;
      unhealthy += next >>> 1;
    }

    const st = this.tickStats;
    st.sequence = this.status.publish(nowMs);
    st.ticks++;
    st.healthy = healthy;
    st.unhealthy = unhealthy;
    st.unknown = unknown;
    st.changes = changes;
    // Both fields written every tick (a branch taken only on change would
    // deoptimize the tick the first time a status changes).
    const anyChange = changes > 0;
    st.lastChangeSlot = anyChange ? lastChangeSlot : st.lastChangeSlot;
    st.lastChangeAtMs = anyChange ? nowMs : st.lastChangeAtMs;
    st.slotsScanned = scanned;
    st.observationsRead = loads;
    st.childrenRead = childrenRead;
    st.tickMs = performance.now() - started;
    return st;
  }
}
