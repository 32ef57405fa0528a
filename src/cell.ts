import type { Plan } from './config/plan.js';
import { UrndError } from './errors.js';
import { planDiff, reloadNodes, type PlanDiff } from './node.js';
import type { StatusTable } from './table/status-table.js';
import { ObservationTable } from './table/observation-table.js';
import { LatenessWindow } from './check/lateness-window.js';
import type { CheckerPool } from './check/checker-pool.js';
import { CheckerNode } from './check/checker-node.js';
import type { Aggregator } from './aggregate/aggregator.js';
import { AggregatorNode } from './aggregate/aggregator-node.js';
import { Resolver } from './resolve/resolver.js';
import { DnsFront, type DnsFrontOptions, type DnsSample } from './serving/dns-front.js';
import { StatusChanges, type StatusChangeListener } from './table/status-changes.js';

/** Options of a Cell. */
export interface CellOptions {
  /** Checker worker threads (default: min(2, cores)). */
  checkers?: number;
  /** Aggregator tick, ms (default 1000). */
  tickMs?: number;
  /** Fraction of vantage points that must report healthy (default 0.18, Route 53's rule). */
  healthyFraction?: number;
  /** Where the cell reports worker crashes. */
  log?: (message: string) => void;
  /**
   * Answer DNS over UDP and TCP on the plan's `dns.listen` from a resolver
   * worker thread (a DnsFront on the cell's StatusTable). Default false for
   * embedding; `urnd serve` turns it on. Await `cell.ready` before querying.
   */
  dns?: boolean;
  /** Options of the DnsFront (e.g. `listen` to override `dns.listen`, `seed`). */
  dnsOptions?: DnsFrontOptions;
  /**
   * Called after every tick once warm-up is over, with the status table as
   * one status frame (for DNS processes fed by this cell); without it no
   * frame is encoded.
   */
  onStatusFrame?: (frame: Buffer) => void;
  /** HMAC-SHA256 key of those frames; undefined: CRC32C only. `setPlan` may change it. */
  frameKey?: Uint8Array | undefined;
}

/** A one-line picture of a running cell. */
export interface CellStatus {
  readonly healthy: number;
  readonly unhealthy: number;
  readonly unknown: number;
  /** Duration of the last aggregator tick, ms. */
  readonly tickMs: number;
  readonly ticks: number;
  /** Probes finished per second over the last status interval. */
  readonly probesPerSec: number;
  readonly probesDone: number;
  /** p99 of probe start lateness (start − scheduled time) over the last status interval, ms; 0 with no probe started. */
  readonly latenessP99Ms: number;
  readonly crashes: number;
  /** The latest status change: slot, check id, new status, when (ms since epoch); null if none yet. */
  readonly lastChange: { slot: number; check: string | null; status: string; atMs: number } | null;
  /** The DNS front's latest once-a-second sample (queries/s, shed, kernel drops); null without DNS or before the first. */
  readonly dns: DnsSample | null;
}

/**
 * A whole cell in one process, made of nodes: a CheckerNode (checker
 * workers probing into row 0 of the ObservationTable), an AggregatorNode
 * (observations into the StatusTable once a tick) and the DNS front (a
 * Resolver reading it; with `dns: true`, a resolver worker thread answering
 * DNS from the same table, DnsFront). `urnd serve` runs one.
 *
 * The aggregator runs on the main thread: its tick over every slot measured
 * ~0.5 ms at 16,384 slots and ~16–21 ms at 1,048,576 (results/REPORT.md),
 * with no I/O, so it cannot delay probes (other threads) or queries (the
 * resolver reads the table directly); at the largest capacity it is 2% of a
 * core at the 1 s tick.
 */
export class Cell {
  readonly statusTable: StatusTable;
  readonly observations: ObservationTable;
  readonly resolver: Resolver;
  readonly aggregator: Aggregator;
  readonly checkers: CheckerPool;
  /** The nodes: probing into row 0, voting into the StatusTable. */
  readonly checkerNode: CheckerNode;
  readonly aggregatorNode: AggregatorNode;
  /** Which slots changed at each tick (a whole-table comparison, once a tick), and when each last changed. */
  readonly changes: StatusChanges;
  private planRef: Plan;
  private readonly tickMs: number;
  private readonly onStatusFrame: ((frame: Buffer) => void) | null;
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  private lastTickMs = 0;
  private lastChange: CellStatus['lastChange'] = null;
  private rateMark = { at: performance.now(), done: 0 };
  private readonly latenessWindow: LatenessWindow;
  private dnsFront: DnsFront | null = null;
  private dnsStarting: Promise<void> = Promise.resolve();
  /** The setPlan under way (reloads run one at a time, in call order). */
  private applying: Promise<void> = Promise.resolve();
  private reloads = 0;
  private checkerReloads = 0;
  private frameKey: Uint8Array | undefined;

  private constructor(plan: Plan, options: CellOptions) {
    this.planRef = plan;
    this.tickMs = options.tickMs ?? 1000;
    this.onStatusFrame = options.onStatusFrame ?? null;
    this.frameKey = options.frameKey;
    this.observations = ObservationTable.create(plan.cell.capacity, 1);
    this.checkerNode = new CheckerNode(plan, this.observations, 0, {
      ...(options.checkers === undefined ? {} : { workers: options.checkers }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    this.aggregatorNode = new AggregatorNode(plan, this.observations, {
      remote: [],
      local: this.checkerNode,
      tickMs: this.tickMs,
      key: options.frameKey,
      ...(options.healthyFraction === undefined ? {} : { healthyFraction: options.healthyFraction }),
    });
    this.statusTable = this.aggregatorNode.status;
    this.aggregator = this.aggregatorNode.aggregator;
    this.checkers = this.checkerNode.pool;
    this.resolver = new Resolver(plan, this.statusTable);
    this.latenessWindow = new LatenessWindow(this.checkers);
    this.changes = new StatusChanges(plan.cell.capacity);
  }

  /**
   * Calls `listener` after each tick that changed any status, with the
   * changed slots (found by one comparison of the whole table per tick, not
   * an event per change). Returns a function that removes the listener.
   */
  onStatusChange(listener: StatusChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /**
   * Builds the tables, starts the checkers and the aggregator tick, and with
   * `dns: true` the DNS front (see `ready`).
   */
  static start(plan: Plan, options: CellOptions = {}): Cell {
    const cell = new Cell(plan, options);
    cell.checkerNode.start();
    cell.tick();
    cell.timer = setInterval(() => cell.tick(), cell.tickMs);
    if (options.dns === true) {
      const dnsOptions: DnsFrontOptions = {
        ...(options.log === undefined ? {} : { log: options.log }),
        ...options.dnsOptions,
      };
      cell.dnsStarting = DnsFront.start(plan, cell.statusTable, dnsOptions).then((front) => {
        cell.dnsFront = front;
        // A setPlan while the resolver thread was starting: it started with the older plan.
        if (cell.planRef !== plan) front.setPlan(cell.planRef);
      });
      // Whoever awaits `ready` sees a failure; an embedder who never does must not crash on it.
      cell.dnsStarting.catch(() => {});
    }
    return cell;
  }

  /**
   * Resolves when everything started is serving: at once without DNS; with
   * DNS, once the resolver thread answers on UDP and TCP. Rejects with
   * URND_ERR_DNS_LISTEN (naming the address) if it cannot bind, or
   * URND_ERR_DNS_WORKERS / URND_ERR_DNS_WORKER; the cell keeps running
   * without DNS then, so stop it.
   */
  get ready(): Promise<void> {
    return this.dnsStarting;
  }

  /** The DNS front once `ready`; null without DNS. */
  get dns(): DnsFront | null {
    return this.dnsFront;
  }

  get plan(): Plan {
    return this.planRef;
  }

  /** Plans applied by `setPlan` so far, and how many of them restarted the checker tasks. */
  get reloadCounts(): { readonly plans: number; readonly checkerReloads: number } {
    return { plans: this.reloads, checkerReloads: this.checkerReloads };
  }

  /**
   * A config reload, applied in full whether or not anything changed (the
   * config loop calls it every pass). Health is never reset: every slot
   * keeps its observations, verdicts and status byte, except a slot whose
   * check identity changed (its id, or its kind: probe / calculated / none),
   * which starts from scratch — its observation word is cleared and the
   * aggregator drops its verdicts — so a new check never inherits the old
   * one's run.
   *
   * In order: if the probe checks differ (a field-by-field comparison), the
   * checker tasks are restarted on the same schedule origin and awaited, so
   * no probe of an old check can write after this point; then, with no await
   * in between (so no aggregator tick can see a half-applied plan), the
   * changed slots' words are cleared and the aggregator, resolver and DNS
   * front take the new plan (the reload sequence of ../node.ts, reloadNodes).
   * `frameKey` is the key of the frames `onStatusFrame` gets (default: the
   * current one). Calls are serialized. Rejects with
   * URND_ERR_ARGUMENT (keeping the current plan) if the capacity differs.
   */
  setPlan(plan: Plan, frameKey: Uint8Array | undefined = this.frameKey): Promise<void> {
    const run = this.applying.then(() => this.applyPlan(plan, frameKey));
    this.applying = run.catch(() => {});
    return run;
  }

  private async applyPlan(plan: Plan, frameKey: Uint8Array | undefined): Promise<void> {
    if (plan.cell.capacity !== this.statusTable.capacity) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `plan: cell capacity ${plan.cell.capacity} does not match the running cell's ${this.statusTable.capacity}`,
      );
    }
    const diff = planDiff(this.planRef, plan, frameKey);
    if (diff.probeChecksChanged) this.checkerReloads += 1;
    await reloadNodes(diff, this.checkerNode, [
      this.aggregatorNode,
      { applyPlan: (d: PlanDiff) => this.applyToDns(d) },
    ]);
    this.frameKey = frameKey;
    this.reloads += 1;
  }

  /** The DNS front's part of a reload: the resolver and the resolver thread take the new plan. */
  private applyToDns(diff: PlanDiff): void {
    this.resolver.setPlan(diff.next);
    this.planRef = diff.next;
    this.dnsFront?.setPlan(diff.next);
  }

  /** One aggregator pass; the timer calls it every tickMs. */
  tick(): void {
    const now = Date.now();
    const warm = this.aggregatorNode.tick(now);
    const stats = this.aggregator.stats;
    this.changes.update(this.statusTable.statuses, now);
    this.ticks += 1;
    this.lastTickMs = stats.tickMs;
    if (stats.changes > 0 && stats.lastChangeSlot >= 0) {
      const slot = stats.lastChangeSlot;
      const check = this.planRef.checks.find((c) => c.slot === slot)?.id ?? null;
      const s = this.statusTable.statuses[slot] as number;
      this.lastChange = { slot, check, status: s === 1 ? 'healthy' : s === 2 ? 'unhealthy' : 'unknown', atMs: now };
    }
    if (warm && this.onStatusFrame !== null) this.onStatusFrame(this.aggregatorNode.frame(now));
  }

  /** Counts and rates for the status line; resets the probes/s window. */
  status(): CellStatus {
    const stats = this.aggregator.stats;
    const pool = this.checkers.stats();
    const now = performance.now();
    const elapsed = (now - this.rateMark.at) / 1000;
    const probesPerSec = elapsed > 0 ? (pool.probesDone - this.rateMark.done) / elapsed : 0;
    this.rateMark = { at: now, done: pool.probesDone };
    const lateness = this.latenessWindow.sample();
    return {
      healthy: stats.healthy,
      unhealthy: stats.unhealthy,
      unknown: stats.unknown,
      tickMs: this.lastTickMs,
      ticks: this.ticks,
      probesPerSec,
      probesDone: pool.probesDone,
      latenessP99Ms: lateness.p99Ms,
      crashes: pool.crashes,
      lastChange: this.lastChange,
      dns: this.dnsFront?.sample ?? null,
    };
  }

  /** Stops the tick, the DNS front and the checkers; resolves when every probe has ended and the DNS sockets are closed. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.dnsStarting.catch(() => {});
    await this.applying;
    const front = this.dnsFront;
    this.dnsFront = null;
    await Promise.all([front?.stop(), this.checkerNode.stop()]);
  }
}
