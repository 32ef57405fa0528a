import type { RecordType, Plan } from '../src/config/plan.js';
import { Resolver } from '../src/resolve/resolver.js';
import { SnapshotReceiver, defaultMaxFrameBytes } from '../src/snapshot/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { WatchedResolverSide } from './propagation-watch.js';

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
export class EngineResolverSide extends WatchedResolverSide {
  private readonly receiver: SnapshotReceiver;

  constructor(plan: Plan, tickMs: number, done: (id: number, at: number) => void) {
    const table = StatusTable.create(plan.cell.capacity);
    const resolver = new Resolver(plan, table);
    const names = plan.setName;
    const types = plan.setType;
    super(
      plan,
      done,
      (set, out) => resolver.resolveInto(names[set] as string, types[set] as RecordType, out),
      defaultMaxFrameBytes(plan.cell.capacity, 'status'),
    );
    this.receiver = new SnapshotReceiver(table, { cell: plan.cell.name, tickMs });
  }

  protected onMessage(bytes: Uint8Array): void {
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
}
