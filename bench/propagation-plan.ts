import { compileConfig } from '../src/config/compile.js';
import type { Plan } from '../src/config/plan.js';

/**
 * The cell the propagation scenario runs: CHECKS tcp checks (slots
 * 0 … CHECKS-1 of CAPACITY; they are never probed here) and NAMES multivalue
 * names of ANSWERS_PER_NAME answers each, one check per answer. Every set
 * fails closed (`answer-none`), so "excluded" is visible in an answer even
 * when all eight of a name's targets are down.
 */
export const CAPACITY = 16_384;
export const NAMES = 1_500;
export const ANSWERS_PER_NAME = 8;
export const CHECKS = NAMES * ANSWERS_PER_NAME;
export const CELL = 'prop';
/** The config's default: consecutive results that flip a check. The bench writes runs of this length. */
export const FAILURE_THRESHOLD = 3;

export function propagationDocument(): object {
  const checks: object[] = [];
  const records: object[] = [];
  for (let n = 0; n < NAMES; n++) {
    const answers: object[] = [];
    for (let k = 0; k < ANSWERS_PER_NAME; k++) {
      const s = n * ANSWERS_PER_NAME + k;
      checks.push({
        id: `c${s}`,
        slot: s,
        type: 'tcp',
        host: '127.0.0.1',
        port: 9,
        failureThreshold: FAILURE_THRESHOLD,
      });
      answers.push({ value: `10.${(s >> 16) & 255}.${(s >> 8) & 255}.${s & 255}`, check: `c${s}` });
    }
    records.push({
      name: `n${n}.prop.test`,
      type: 'A',
      policy: 'multivalue',
      whenAllUnhealthy: 'answer-none',
      answers,
    });
  }
  return { cell: { name: CELL, capacity: CAPACITY }, checks, zones: [{ origin: 'prop.test' }], records };
}

/** Compiles the scenario's document (about 0.5–2 s: once per run). */
export function propagationPlan(): Plan {
  return compileConfig(propagationDocument());
}

/** Per slot, the record sets whose answers use it (compressed rows: sets of slot s are set[start[s] … start[s+1])). */
export interface SetsBySlot {
  readonly start: Int32Array;
  readonly set: Int32Array;
}

/** Which sets each slot's check decides (answers without a check decide nothing). */
export function setsBySlot(plan: Plan): SetsBySlot {
  const cap = plan.cell.capacity;
  const lists: number[][] = Array.from({ length: cap }, () => []);
  for (let set = 0; set < plan.setCount; set++) {
    const first = plan.setFirst[set] as number;
    const n = plan.setLength[set] as number;
    for (let i = first; i < first + n; i++) {
      if (plan.answerCheck[i] === null) continue;
      const list = lists[plan.answerSlot[i] as number] as number[];
      if (list[list.length - 1] !== set) list.push(set);
    }
  }
  const start = new Int32Array(cap + 1);
  for (let s = 0; s < cap; s++) start[s + 1] = (start[s] as number) + (lists[s] as number[]).length;
  const set = new Int32Array(start[cap] as number);
  for (let s = 0; s < cap; s++) set.set(lists[s] as number[], start[s] as number);
  return { start, set };
}

/** The distinct sets the given slots decide, ascending. */
export function setsOf(index: SetsBySlot, slots: readonly number[]): number[] {
  const out = new Set<number>();
  for (const s of slots)
    for (let k = index.start[s] as number; k < (index.start[s + 1] as number); k++) out.add(index.set[k] as number);
  return [...out].sort((a, b) => a - b);
}

/**
 * The naive model of a right answer: the answers of `set` whose slot is not
 * in `failed` (every other check is healthy), ascending. Multivalue returns
 * up to 8 of them; a set of ≤ 8 answers returns them all, and a set with
 * none left answers nothing (`answer-none`).
 */
export function expectedAnswers(plan: Plan, failed: ReadonlySet<number>, set: number): number[] {
  const first = plan.setFirst[set] as number;
  const n = plan.setLength[set] as number;
  const out: number[] = [];
  for (let i = first; i < first + n; i++)
    if (plan.answerCheck[i] === null || !failed.has(plan.answerSlot[i] as number)) out.push(i);
  return out;
}

/** `n` distinct values of 0 … range-1, at random (partial Fisher–Yates). */
export function pickDistinct(random: () => number, range: number, n: number): number[] {
  const a = Int32Array.from({ length: range }, (_, i) => i);
  for (let j = 0; j < n; j++) {
    const k = j + Math.floor(random() * (range - j));
    const t = a[j] as number;
    a[j] = a[k] as number;
    a[k] = t;
  }
  return Array.from(a.subarray(0, n));
}

/** The shared wall clock of every process in the scenario, ms since the Unix epoch with sub-ms resolution. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
