/**
 * `urnd aggregator`: merges the observation vectors of every vantage point,
 * votes, and pushes the whole status table to every DNS process once a tick.
 *
 *   checkers ══ vectors ══► FrameListener ─► VectorIntake ─► ObservationTable rows 1…V-1 (0…V-1 without --local-checks)
 *   --local-checks: checker workers ─────────────────────► row 0
 *   every tick: Aggregator.tick() over every slot ─► StatusTable ─► encodeStatus ─► FramePublisher ══► DNS processes
 *
 * A vantage whose vectors stop (a dead checker) means fewer vectors,
 * nothing more: after VANTAGE_SILENCE_TICKS ticks without a good vector its
 * row is cleared and its verdicts forgotten (Aggregator.forgetVantage), so
 * it stops voting until it reports again; the status line shows each
 * vantage's age.
 *
 * Warm-up: a restarted aggregator has no verdicts; publishing its first
 * ticks would replace every DNS server's good table with "unknown". So
 * status frames start with the first tick after every remote vantage has
 * sent a vector (and, with --local-checks, every local check has been
 * probed once), or `aggregator.warmup` after start, whichever is first;
 * until then the DNS servers keep their last good table.
 */
import type { Endpoint, Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { Aggregator } from '../aggregate/aggregator.js';
import { CheckerPool } from '../check/checker-pool.js';
import { addPage, aggregatorPageSource } from '../admin/page/index.js';
import { Admin } from '../admin/admin.js';
import { aggregatorSource } from '../admin/role-sources.js';
import { StatusChanges } from '../table/status-changes.js';
import { SnapshotEncoder } from '../snapshot/encoder.js';
import { defaultMaxFrameBytes } from '../snapshot/frame.js';
import { FrameListener, FramePublisher } from '../snapshot/push.js';
import { ObservationTable } from '../table/observation-table.js';
import { StatusTable } from '../table/status-table.js';
import { sameKey } from './frame-key.js';
import { Ticker, countChecks, formatCounts, untilStopped, uptime } from './lifecycle.js';
import { changedSlots, clearObservations, formatEndpoint, probeChecks, sameEndpoints, sameProbeChecks } from './plan-change.js';
import { VectorIntake, formatRejections } from './receivers.js';
import { RoleConfig, short } from './role-config.js';

/** Ticks without a good vector after which a remote vantage's votes are dropped. */
export const VANTAGE_SILENCE_TICKS = 5;

export interface AggregatorRoleOptions {
  readonly configSource: string;
  readonly configIntervalMs?: number;
  /** `--listen`: where checkers push vectors; default `aggregator.listen`. Port 0: the OS picks. */
  readonly listen?: Endpoint;
  /** `--local-checks`: also probe every check here, as vantage 0. */
  readonly localChecks: boolean;
  readonly checkers?: number;
  /** `--tick-ms`; default `aggregator.tick`. */
  readonly tickMs?: number;
  readonly statusEverySec: number;
  readonly durationSec: number;
  /** `--admin`: the admin HTTP listener's address; absent or null: none. */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /** `--lameduck`: seconds of /readyz 503 between SIGTERM/SIGINT and the stop (default 0). */
  readonly lameduckSec?: number;
}

export async function runAggregator(opts: AggregatorRoleOptions, write: (line: string) => void): Promise<void> {
  const role = 'aggregator';
  const config = await RoleConfig.start({ role, source: opts.configSource, log: write, ...(opts.configIntervalMs === undefined ? {} : { intervalMs: opts.configIntervalMs }) });
  let pool: CheckerPool | null = null;
  let listener: FrameListener | null = null;
  let publisher: FramePublisher | null = null;
  let ticker: Ticker | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  let admin: Admin | null = null;
  try {
    let plan: Plan = config.plan;
    const listen = opts.listen ?? plan.aggregator.listen;
    if (listen === null) throw new UrndError('URND_ERR_ARGUMENT', 'no address for observation vectors: set aggregator.listen in the config or give --listen HOST:PORT');
    // Fixed for this process's life: the tables are sized once.
    const vantages = plan.aggregator.vantages;
    const capacity = plan.cell.capacity;
    const remote = Array.from({ length: vantages }, (_, v) => v).filter((v) => !(opts.localChecks && v === 0));
    const observations = ObservationTable.create(capacity, vantages);
    const status = StatusTable.create(capacity);
    const aggregator = new Aggregator(plan, observations, status);
    const changes = new StatusChanges(capacity);
    const intake = new VectorIntake(observations, remote, plan, config.key);
    let key = config.key;
    let encoder = new SnapshotEncoder({ cell: plan.cell.name, configVersion: plan.version, ...(key === undefined ? {} : { key }) });
    let subscribers = plan.aggregator.subscribers;
    const publisherLog = (m: string) => write(`urnd aggregator: ${m}`);
    let push = new FramePublisher(subscribers, { log: publisherLog });
    publisher = push;

    let local: CheckerPool | null = null;
    if (opts.localChecks) {
      local = new CheckerPool(observations, { vantage: 0, log: write, ...(opts.checkers === undefined ? {} : { workers: opts.checkers }) });
      pool = local;
      local.start(probeChecks(plan));
    }

    // Slots whose check identity changed at the last reload: a vector built
    // on another config version carries the old check's words for them, so
    // they are cleared again as it is applied (until that vantage catches up).
    let reloadedSlots: number[] = [];
    listener = await FrameListener.listen(
      { host: listen.host, port: listen.port, maxBytes: defaultMaxFrameBytes(capacity, 'observations'), log: write },
      (bytes) => {
        const out = intake.receive(bytes);
        if (out.applied && out.frame.configVersion !== plan.version && reloadedSlots.length > 0) {
          clearObservations(observations, out.frame.vantage as number, reloadedSlots);
        }
      },
    );

    const started = Date.now();
    let warm = false;
    let framesOut = 0;
    const isWarm = (now: number): boolean => {
      if (now - started >= plan.aggregator.warmupMs) return true;
      for (const v of remote) if (intake.staleness(v, now).secondsSinceLastGood === null) return false;
      if (local !== null && local.stats().probesDone < probeChecks(plan).length) return false;
      return true;
    };
    // A remote vantage silent for VANTAGE_SILENCE_TICKS ticks is forgotten once
    // (its row cleared, its verdicts unknown): a dead checker means fewer
    // votes, not frozen ones. It votes again once its vectors return.
    const forgotten = new Set<number>();
    const forgetSilent = (now: number) => {
      const limitS = (VANTAGE_SILENCE_TICKS * (opts.tickMs ?? plan.aggregator.tickMs)) / 1000;
      for (const v of remote) {
        const age = intake.staleness(v, now).secondsSinceLastGood;
        if (age === null || age <= limitS) {
          if (age !== null) forgotten.delete(v);
          continue;
        }
        if (forgotten.has(v)) continue;
        forgotten.add(v);
        observations.row(v).fill(0);
        aggregator.forgetVantage(v);
        write(`urnd aggregator: vantage ${v} silent for ${age.toFixed(1)} s: its votes no longer count until it reports again`);
      }
    };
    const tick = () => {
      const now = Date.now();
      forgetSilent(now);
      aggregator.tick(now);
      changes.update(status.statuses, now);
      if (!warm) warm = isWarm(now);
      if (!warm) return;
      // Between ticks, on the thread that writes the table: the frame is one tick's table, whole.
      push.publish(encoder.encodeStatus(status, now));
      framesOut += 1;
    };
    const tickTicker = new Ticker(tick, opts.tickMs ?? plan.aggregator.tickMs);
    ticker = tickTicker;

    config.onApply(async (next, prev) => {
      const changed = changedSlots(prev.plan, next.plan);
      if (local !== null && !sameProbeChecks(prev.plan, next.plan)) await local.reload(probeChecks(next.plan));
      // Synchronous from here: the tick (same thread) sees all of it or none.
      for (let v = 0; v < vantages; v++) clearObservations(observations, v, changed);
      aggregator.setPlan(next.plan);
      if (changed.length > 0) reloadedSlots = changed;
      plan = next.plan;
      intake.apply(plan, next.key);
      if (!sameKey(key, next.key)) {
        key = next.key;
        encoder = new SnapshotEncoder({ cell: plan.cell.name, configVersion: plan.version, epoch: encoder.epoch, firstSequence: encoder.sequence, ...(key === undefined ? {} : { key }) });
      } else {
        encoder.configVersion = plan.version;
      }
      if (!sameEndpoints(subscribers, plan.aggregator.subscribers)) {
        push.close();
        subscribers = plan.aggregator.subscribers;
        push = new FramePublisher(subscribers, { log: publisherLog });
        publisher = push;
        write(`urnd aggregator: status frames now to ${subscribers.length === 0 ? 'nobody' : subscribers.map(formatEndpoint).join(', ')}`);
      }
      if (opts.tickMs === undefined) tickTicker.setPeriod(plan.aggregator.tickMs);
      if (plan.aggregator.vantages !== vantages) write(`urnd aggregator: aggregator.vantages ${plan.aggregator.vantages} applies at the next start (running with ${vantages})`);
    });

    write(`urnd aggregator: cell "${plan.cell.name}", ${capacity} slots, ${vantages} vantage points${local !== null ? ` (0: local checks on ${local.workers} checker workers)` : ''}, plan ${short(plan.version)}, config every ${config.intervalMs / 1000} s`);
    write(`urnd aggregator: vectors on ${formatEndpoint(listener.address)} (tcp)${key === undefined ? ', unkeyed (CRC32C only)' : ', HMAC-SHA256 keyed'}`);
    write(`urnd aggregator: status frames every ${tickTicker.periodMs} ms to ${subscribers.length === 0 ? 'nobody (aggregator.subscribers is empty)' : subscribers.map(formatEndpoint).join(', ')}`);

    if (opts.admin !== undefined && opts.admin !== null) {
      const vectors = listener;
      admin = await Admin.start(
        opts.admin,
        aggregatorSource({ config, plan: () => plan, aggregator, status, changes, intake, remote, listener: () => vectors, publisher: () => push, local, warm: () => warm }),
      );
      addPage(admin.server, aggregatorPageSource({ plan: () => plan, aggregator, statuses: status.statuses, changes }));
      write(`urnd aggregator: admin on http://${admin.server.address} (live page at /)`);
    }
    const adminRef = admin;

    statusTimer = setInterval(() => {
      const now = Date.now();
      const ages = Array.from({ length: vantages }, (_, v) => {
        if (local !== null && v === 0) return '0:local';
        const s = intake.staleness(v, now).secondsSinceLastGood;
        return `${v}:${s === null ? 'none' : `${s.toFixed(1)}s`}`;
      }).join(' ');
      const subs = push.stats();
      const connected = subs.filter((s) => s.connected).length;
      const c = config.stats();
      write(
        `${uptime(started)} ${formatCounts(countChecks(plan, status))} | tick ${aggregator.stats.tickMs.toFixed(2)} ms | vantages ${ages} | vectors ${formatRejections(intake.counters)} | ${warm ? `status frames ${framesOut} → ${connected}/${subs.length} connected` : 'warming up: no status frames yet'} | config ${short(c.version)} (rejected ${c.rejected})`,
      );
    }, opts.statusEverySec * 1000);
    await untilStopped(role, opts.durationSec, write, { reload: () => config.pass(), lameduckSec: opts.lameduckSec ?? 0, onLameduck: () => adminRef?.startLameduck() });
  } finally {
    if (statusTimer !== null) clearInterval(statusTimer);
    ticker?.stop();
    await config.stop();
    publisher?.close();
    await listener?.close();
    await pool?.stop();
    await admin?.stop();
  }
  write('urnd aggregator: stopped');
}
