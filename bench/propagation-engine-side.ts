import { RecordType, type Plan } from '../src/config/plan.js';
import { Resolver } from '../src/resolve/resolver.js';
import { FrameListener, SnapshotReceiver, defaultMaxFrameBytes } from '../src/snapshot/index.js';
import { StatusTable } from '../src/table/status-table.js';
import type { ChildStats } from './propagation-messages.js';
import type { ResolverSide } from './propagation-child.js';
import { ExclusionWatch, type AnswersOf } from './propagation-watch.js';
import { wallNow } from './propagation-plan.js';

/**
 * A resolver process of the constant-work engine, as a DNS server runs it:
 * a FrameListener hands each status frame to a SnapshotReceiver, which
 * copies the whole table into the local StatusTable; a Resolver answers from
 * that table. The same work for every frame, whatever changed.
 *
 * The watch is asked after each applied frame, of every watched set, through
 * `resolveInto` (the query path). The time reported is taken right after the
 * apply, before the watch's own questions, so what it costs is not counted.
 */
export class EngineResolverSide implements ResolverSide {
  private readonly table: StatusTable;
  private readonly receiver: SnapshotReceiver;
  private readonly resolver: Resolver;
  private listener: FrameListener | null = null;
  private current: ExclusionWatch | null = null;
  private readonly counters: ChildStats = { messages: 0, applied: 0, gaps: 0, rejected: 0, maxApplyMs: 0, heapUsedMiB: 0 };
  private readonly answersOf: AnswersOf;
  private readonly scratch = new Int32Array(128);

  constructor(
    private readonly plan: Plan,
    tickMs: number,
    private readonly done: (id: number, at: number) => void,
  ) {
    this.table = StatusTable.create(plan.cell.capacity);
    this.receiver = new SnapshotReceiver(this.table, { cell: plan.cell.name, tickMs });
    this.resolver = new Resolver(plan, this.table);
    const names = plan.setName;
    const types = plan.setType;
    this.answersOf = (set, out) => this.resolver.resolveInto(names[set] as string, types[set] as RecordType, out);
  }

  async listen(): Promise<number> {
    this.listener = await FrameListener.listen({ host: '127.0.0.1', port: 0, maxBytes: defaultMaxFrameBytes(this.plan.cell.capacity, 'status') }, (bytes) => this.onFrame(bytes));
    return this.listener.address.port;
  }

  private onFrame(bytes: Uint8Array): void {
    this.counters.messages++;
    const t = performance.now();
    const outcome = this.receiver.receive(bytes);
    const applied = performance.now();
    if (!outcome.applied) {
      this.counters.rejected++;
      return;
    }
    this.counters.applied++;
    if (applied - t > this.counters.maxApplyMs) this.counters.maxApplyMs = applied - t;
    const w = this.current;
    if (w === null || w.done) return;
    const at = performance.timeOrigin + applied;
    if (w.evaluateAll(this.answersOf) === 0) this.done(w.id, at);
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
