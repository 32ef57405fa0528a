/**
 * `urnd aggregator`: process wiring for an AggregatorNode (the rules: silent
 * vantages, warm-up, reloads — see ../aggregate/aggregator-node.ts) and,
 * with --local-checks, a CheckerNode on row 0.
 *
 *   checkers ══ vectors ══► FrameListener ─► AggregatorNode.receiveVector ─► ObservationTable rows 1…V-1 (0…V-1 without --local-checks)
 *   --local-checks: CheckerNode ───────────────────────────────────────────► row 0
 *   every tick: AggregatorNode.tick() ─► (warm) frame() ─► FramePublisher ══► DNS processes
 */
import type { Endpoint } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { AggregatorNode } from '../aggregate/aggregator-node.js';
import { CheckerNode } from '../check/checker-node.js';
import { planDiff, reloadNodes } from '../node.js';
import { addPage, aggregatorPageSource } from '../admin/page/index.js';
import { Admin, AdminListenWatch, adminAddressFor } from '../admin/admin.js';
import { aggregatorSource } from '../admin/role-sources.js';
import { StatusChanges } from '../table/status-changes.js';
import { defaultMaxFrameBytes } from '../snapshot/frame.js';
import { FrameListener, FramePublisher } from '../snapshot/push.js';
import { isGenuine } from '../snapshot/receiver.js';
import { ObservationTable } from '../table/observation-table.js';
import { FRAME_TIMEOUT_TICKS, Ticker, countChecks, formatCounts, untilStopped, uptime } from './lifecycle.js';
import { formatEndpoint, sameEndpoints } from '../config/plan-change.js';
import { formatConnections, formatRejections } from './receivers.js';
import { ConfigLoop, short } from '../config/loop.js';

export { VANTAGE_SILENCE_TICKS } from '../aggregate/aggregator-node.js';

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
  /** `--admin`: the admin HTTP listener's address, null for `off`; absent: the document's `admin.listen`, else `adminDefault`. */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /** The admin address when neither `--admin` nor `admin.listen` says (`--admin` text); absent: none. */
  readonly adminDefault?: string;
  /** `--lameduck`: seconds of /readyz 503 between SIGTERM/SIGINT and the stop (default 0). */
  readonly lameduckSec?: number;
}

export async function runAggregator(opts: AggregatorRoleOptions, write: (line: string) => void): Promise<void> {
  const role = 'aggregator';
  const config = await ConfigLoop.start({
    role,
    source: opts.configSource,
    log: write,
    ...(opts.configIntervalMs === undefined ? {} : { intervalMs: opts.configIntervalMs }),
  });
  let local: CheckerNode | null = null;
  let listener: FrameListener | null = null;
  let publisher: FramePublisher | null = null;
  let ticker: Ticker | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  let admin: Admin | null = null;
  try {
    const plan = config.plan;
    const listen = opts.listen ?? plan.aggregator.listen;
    if (listen === null)
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        'no address for observation vectors: set aggregator.listen in the config or give --listen HOST:PORT',
      );
    // Fixed for this process's life: the tables are sized once.
    const vantages = plan.aggregator.vantages;
    const capacity = plan.cell.capacity;
    const remote = Array.from({ length: vantages }, (_, v) => v).filter((v) => !(opts.localChecks && v === 0));
    const observations = ObservationTable.create(capacity, vantages);
    if (opts.localChecks)
      local = new CheckerNode(plan, observations, 0, {
        log: write,
        ...(opts.checkers === undefined ? {} : { workers: opts.checkers }),
      }).start();
    const node = new AggregatorNode(plan, observations, {
      remote,
      local,
      key: config.key,
      log: write,
      ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
    });
    const changes = new StatusChanges(capacity);
    let subscribers = plan.aggregator.subscribers;
    const publisherLog = (m: string) => write(`urnd aggregator: ${m}`);
    let push = new FramePublisher(subscribers, { log: publisherLog });
    publisher = push;

    listener = await FrameListener.listen(
      {
        host: listen.host,
        port: listen.port,
        maxBytes: defaultMaxFrameBytes(capacity, 'observations'),
        frameTimeoutMs: () => FRAME_TIMEOUT_TICKS * node.tickMs,
        log: write,
        purpose: 'vectors',
        setting: '--listen HOST:PORT or aggregator.listen',
      },
      (bytes) => isGenuine(node.receiveVector(bytes)),
    );

    let framesOut = 0;
    const tickTicker = new Ticker(() => {
      const now = Date.now();
      const publish = node.tick(now);
      changes.update(node.status.statuses, now);
      if (!publish) return;
      push.publish(node.frame(now));
      framesOut += 1;
    }, node.tickMs);
    ticker = tickTicker;

    const adminListen = new AdminListenWatch(plan.admin.listen, opts.admin !== undefined);
    config.onApply(async (next, prev) => {
      await reloadNodes(planDiff(prev.plan, next.plan, next.key), local, [node]);
      const note = adminListen.check(next.plan.admin.listen);
      if (note !== null) write(`urnd aggregator: ${note}`);
      if (!sameEndpoints(subscribers, next.plan.aggregator.subscribers)) {
        push.close();
        subscribers = next.plan.aggregator.subscribers;
        push = new FramePublisher(subscribers, { log: publisherLog });
        publisher = push;
        write(
          `urnd aggregator: status frames now to ${subscribers.length === 0 ? 'nobody' : subscribers.map(formatEndpoint).join(', ')}`,
        );
      }
      tickTicker.setPeriod(node.tickMs);
      if (next.plan.aggregator.vantages !== vantages)
        write(
          `urnd aggregator: aggregator.vantages ${next.plan.aggregator.vantages} applies at the next start (running with ${vantages})`,
        );
    });

    // Signals are ours before the first line that says the process is up: a
    // SIGHUP or SIGTERM sent on seeing it must not meet Node's default (exit).
    const stopped = untilStopped(role, opts.durationSec, write, {
      reload: () => config.passNow(),
      lameduckSec: opts.lameduckSec ?? 0,
      onLameduck: () => admin?.startLameduck(),
    });
    write(
      `urnd aggregator: cell "${plan.cell.name}", ${capacity} slots, ${vantages} vantage points${local !== null ? ` (0: local checks on ${local.pool.workers} checker workers)` : ''}, plan ${short(plan.version)}, config every ${config.intervalMs / 1000} s`,
    );
    write(
      `urnd aggregator: vectors on ${formatEndpoint(listener.address)} (tcp)${config.key === undefined ? ', unkeyed (CRC32C only)' : ', HMAC-SHA256 keyed'}`,
    );
    write(
      `urnd aggregator: status frames every ${tickTicker.periodMs} ms to ${subscribers.length === 0 ? 'nobody (aggregator.subscribers is empty)' : subscribers.map(formatEndpoint).join(', ')}`,
    );

    const adminAt = adminAddressFor('aggregator', opts.admin, config.plan.admin.listen, opts.adminDefault);
    if (adminAt !== null) {
      const vectors = listener;
      admin = await Admin.start(
        adminAt,
        aggregatorSource({
          config,
          plan: () => node.plan,
          aggregator: node.aggregator,
          status: node.status,
          changes,
          intake: node.intake,
          remote,
          listener: () => vectors,
          publisher: () => push,
          local: local?.pool ?? null,
          warm: () => node.warm,
        }),
      );
      addPage(
        admin.server,
        aggregatorPageSource({
          plan: () => node.plan,
          aggregator: node.aggregator,
          statuses: node.status.statuses,
          changes,
        }),
      );
      write(`urnd aggregator: admin on http://${admin.server.address} (live page at /)`);
    }

    const started = Date.now();
    statusTimer = setInterval(() => {
      const now = Date.now();
      const ages = Array.from({ length: vantages }, (_, v) => {
        if (local !== null && v === 0) return '0:local';
        const s = node.vantageAge(v, now);
        return `${v}:${s === null ? 'none' : `${s.toFixed(1)}s`}${s !== null && !node.aggregator.isReporting(v) ? ' (silent)' : ''}`;
      }).join(' ');
      const subs = push.stats();
      const connected = subs.filter((s) => s.connected).length;
      const c = config.stats();
      write(
        `${uptime(started)} ${formatCounts(countChecks(node.plan, node.status))} | tick ${node.stats.tickMs.toFixed(2)} ms | vantages ${ages} | vectors ${formatRejections(node.intake.counters)}${formatConnections((listener as FrameListener).stats())} | ${node.warm ? `status frames ${framesOut} → ${connected}/${subs.length} connected` : 'warming up: no status frames yet'} | config ${short(c.version)} (rejected ${c.rejected})`,
      );
    }, opts.statusEverySec * 1000);
    await stopped;
  } finally {
    if (statusTimer !== null) clearInterval(statusTimer);
    ticker?.stop();
    await config.stop();
    publisher?.close();
    await listener?.close();
    await local?.stop();
    await admin?.stop();
  }
  write('urnd aggregator: stopped');
}
