import { HealthMask, MULTIVALUE_MAX_RETURNED, type Plan } from '../src/config/plan.js';
import { FrameListener } from '../src/snapshot/index.js';
import type { ChildStats } from './propagation-messages.js';
import type { ResolverSide } from './propagation-child.js';
import { wallNow } from './propagation-plan.js';

/** Writes the answer indices `set` answers now into `out`; returns how many (negative: no answer). */
export type AnswersOf = (set: number, out: Int32Array) => number;

/**
 * "Has this resolver caught up?", asked of its own answers. A watch names
 * the failed slots and the sets to look at; a set is right when its answer
 * holds exactly the answers whose check is not failed (up to 8, multivalue;
 * none when all failed, `answer-none`): no failed answer left in, no healthy
 * one left out. The same watch serves both designs: the engine re-asks every
 * watched set after each applied frame (`evaluateAll`), the event-driven
 * baseline only the sets an event touched (`evaluateSet`).
 */
export class ExclusionWatch {
  readonly id: number;
  /** Sets not yet right. */
  pending = 0;
  private readonly plan: Plan;
  private readonly failed: Uint8Array;
  /** Per set: 0 not watched, 1 watched and right, 2 watched and not yet right. */
  private readonly state: Uint8Array;
  private readonly sets: Int32Array;
  /** Per set: how many answers a right answer holds (watched sets only). */
  private readonly expected: Int32Array;
  private readonly scratch = new Int32Array(128);

  constructor(plan: Plan, id: number, failed: ArrayLike<number>, sets: ArrayLike<number>) {
    this.id = id;
    this.plan = plan;
    this.failed = new Uint8Array(plan.cell.capacity);
    for (let k = 0; k < failed.length; k++) this.failed[failed[k] as number] = 1;
    this.state = new Uint8Array(plan.setCount);
    this.sets = Int32Array.from(sets);
    this.expected = new Int32Array(plan.setCount);
    for (let k = 0; k < this.sets.length; k++) {
      const set = this.sets[k] as number;
      const first = plan.setFirst[set] as number;
      const n = plan.setLength[set] as number;
      let left = 0;
      for (let i = first; i < first + n; i++) left += this.isFailed(i) ? 0 : 1;
      this.expected[set] = Math.min(MULTIVALUE_MAX_RETURNED, left);
      if (this.state[set] === 0) this.pending++;
      this.state[set] = 2;
    }
  }

  get done(): boolean {
    return this.pending === 0;
  }

  /** Re-asks every watched set; returns how many are not yet right. */
  evaluateAll(answersOf: AnswersOf): number {
    for (let k = 0; k < this.sets.length; k++) this.update(this.sets[k] as number, answersOf);
    return this.pending;
  }

  /** Re-asks one set if it is watched; returns how many are not yet right. */
  evaluateSet(set: number, answersOf: AnswersOf): number {
    if (this.state[set] === 0) return this.pending;
    this.update(set, answersOf);
    return this.pending;
  }

  private update(set: number, answersOf: AnswersOf): void {
    const out = this.scratch;
    const count = answersOf(set, out);
    let right = count === this.expected[set];
    for (let k = 0; right && k < count; k++) if (this.isFailed(out[k] as number)) right = false;
    const was = this.state[set] as number;
    const now = right ? 1 : 2;
    if (was === now) return;
    this.state[set] = now;
    this.pending += now === 2 ? 1 : -1;
  }

  private isFailed(answer: number): boolean {
    return (
      this.plan.answerMask[answer] !== HealthMask.ALWAYS && this.failed[this.plan.answerSlot[answer] as number] === 1
    );
  }
}

/**
 * What both designs' resolver processes share: the message listener, the
 * counters, the armed watch, and answering samples. A design supplies how a
 * set answers (`answersOf`) and what it does with each message.
 */
export abstract class WatchedResolverSide implements ResolverSide {
  protected listener: FrameListener | null = null;
  protected current: ExclusionWatch | null = null;
  protected readonly counters: ChildStats = {
    messages: 0,
    applied: 0,
    gaps: 0,
    rejected: 0,
    maxApplyMs: 0,
    heapUsedMiB: 0,
  };
  private readonly scratch = new Int32Array(128);

  constructor(
    protected readonly plan: Plan,
    protected readonly done: (id: number, at: number) => void,
    protected readonly answersOf: AnswersOf,
    private readonly maxMessageBytes: number,
  ) {}

  /** Handles one message off the wire. */
  protected abstract onMessage(bytes: Uint8Array): void;

  async listen(): Promise<number> {
    // No frame deadline to speak of: the baseline's event stream is silent between changes, and a benchmark has no hostile peers.
    this.listener = await FrameListener.listen(
      { host: '127.0.0.1', port: 0, maxBytes: this.maxMessageBytes, frameTimeoutMs: 3_600_000 },
      (bytes) => this.onMessage(bytes),
    );
    return this.listener.address.port;
  }

  watch(id: number, failed: ArrayLike<number>, sets: ArrayLike<number>): void {
    const w = new ExclusionWatch(this.plan, id, failed, sets);
    this.current = w;
    if (w.evaluateAll(this.answersOf) === 0) this.done(id, wallNow());
  }

  sample(sets: readonly number[]): number[][] {
    return sets.map((set) => {
      const n = this.answersOf(set, this.scratch);
      return Array.from(this.scratch.subarray(0, Math.max(0, n))).sort((a, b) => a - b);
    });
  }

  stats(): ChildStats {
    return { ...this.counters, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }
}
