/**
 * `urnd checker`: one vantage point. Checker worker threads probe every
 * probe check of the config on its fixed schedule into this process's own
 * observation row; once a tick the whole row is encoded as one observation
 * vector (stamped with `--vantage N`) and pushed to every aggregator. It
 * computes no status and answers no DNS.
 *
 * Process wiring for a CheckerNode (../check/checker-node.ts). A dead
 * checker is fewer vectors at the aggregators, nothing more; a
 * restarted one starts its row from "never observed" (which changes no
 * verdict at the aggregator) and builds it up probe by probe.
 */
import type { Endpoint } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { CheckerNode } from '../check/checker-node.js';
import { Admin, AdminListenWatch, adminAddressFor } from '../admin/admin.js';
import { checkerSource } from '../admin/role-sources.js';
import { LatenessWindow } from '../check/lateness-window.js';
import { planDiff, reloadNodes } from '../node.js';
import { FramePublisher } from '../snapshot/push.js';
import { ObservationTable } from '../table/observation-table.js';
import { Ticker, untilStopped, uptime } from './lifecycle.js';
import { formatEndpoint, probeChecks, sameEndpoints } from '../config/plan-change.js';
import { ConfigLoop, short } from '../config/loop.js';

export interface CheckerRoleOptions {
  readonly configSource: string;
  readonly configIntervalMs?: number;
  /** `--vantage N`: the row this vantage point's vectors fill at the aggregators (0 … aggregator.vantages-1). */
  readonly vantage: number;
  /** `--aggregator HOST:PORT` (repeatable); default `checker.aggregators`. */
  readonly aggregators?: readonly Endpoint[];
  /** Checker worker threads. */
  readonly checkers?: number;
  /** Push period, ms; default `aggregator.tick`. */
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

/** The row this process writes locally; the vantage number goes on the frames. */
const LOCAL_ROW = 0;

export async function runChecker(opts: CheckerRoleOptions, write: (line: string) => void): Promise<void> {
  const role = 'checker';
  const config = await ConfigLoop.start({
    role,
    source: opts.configSource,
    log: write,
    ...(opts.configIntervalMs === undefined ? {} : { intervalMs: opts.configIntervalMs }),
  });
  let node: CheckerNode | null = null;
  let publisher: FramePublisher | null = null;
  let ticker: Ticker | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  let admin: Admin | null = null;
  try {
    let plan = config.plan;
    if (opts.vantage >= plan.aggregator.vantages) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `--vantage ${opts.vantage}: the config has ${plan.aggregator.vantages} vantage points (aggregator.vantages), numbered 0 to ${plan.aggregator.vantages - 1}`,
      );
    }
    let targets = opts.aggregators ?? plan.checker.aggregators;
    if (targets.length === 0) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        'no aggregator to push to: set checker.aggregators (or aggregator.listen) in the config, or give --aggregator HOST:PORT',
      );
    }
    const table = ObservationTable.create(plan.cell.capacity, 1);
    const checker = new CheckerNode(plan, table, LOCAL_ROW, {
      vantage: opts.vantage,
      key: config.key,
      log: write,
      ...(opts.checkers === undefined ? {} : { workers: opts.checkers }),
    }).start();
    node = checker;
    const checkers = checker.pool;
    let push = new FramePublisher(targets, { log: (m) => write(`urnd checker: ${m}`) });
    publisher = push;

    const pushTicker = new Ticker(() => push.publish(checker.tick()), opts.tickMs ?? plan.aggregator.tickMs);
    ticker = pushTicker;

    const adminListen = new AdminListenWatch(plan.admin.listen, opts.admin !== undefined);
    config.onApply(async (next, prev) => {
      await reloadNodes(planDiff(prev.plan, next.plan, next.key), checker, []);
      plan = next.plan;
      const note = adminListen.check(plan.admin.listen);
      if (note !== null) write(`urnd checker: ${note}`);
      const nextTargets = opts.aggregators ?? plan.checker.aggregators;
      if (!sameEndpoints(nextTargets, targets) && nextTargets.length > 0) {
        push.close();
        targets = nextTargets;
        push = new FramePublisher(targets, { log: (m) => write(`urnd checker: ${m}`) });
        publisher = push;
      }
      if (opts.tickMs === undefined) pushTicker.setPeriod(plan.aggregator.tickMs);
      if (opts.vantage >= plan.aggregator.vantages)
        write(
          `urnd checker: --vantage ${opts.vantage} is not below aggregator.vantages ${plan.aggregator.vantages}: the aggregators will reject these vectors`,
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
      `urnd checker: vantage ${opts.vantage}, cell "${plan.cell.name}", ${probeChecks(plan).length} probe checks on ${checkers.workers} checker workers, plan ${short(plan.version)}, config every ${config.intervalMs / 1000} s`,
    );
    write(
      `urnd checker: vectors to ${targets.map(formatEndpoint).join(', ')} every ${pushTicker.periodMs} ms${config.key === undefined ? ', unkeyed (CRC32C only)' : ', HMAC-SHA256 keyed'}`,
    );

    const adminAt = adminAddressFor('checker', opts.admin, config.plan.admin.listen, opts.adminDefault);
    if (adminAt !== null) {
      admin = await Admin.start(
        adminAt,
        checkerSource({
          config,
          pool: checkers,
          vantage: opts.vantage,
          publisher: () => push,
          probeChecks: () => probeChecks(plan).length,
        }),
      );
      write(`urnd checker: admin on http://${admin.server.address}`);
    }

    const started = Date.now();
    let mark = { at: performance.now(), done: 0 };
    const lateness = new LatenessWindow(checkers);
    statusTimer = setInterval(() => {
      const s = checkers.stats();
      const now = performance.now();
      const rate = (s.probesDone - mark.done) / Math.max(0.001, (now - mark.at) / 1000);
      mark = { at: now, done: s.probesDone };
      const subs = push.stats();
      const links = subs
        .map((l) => `${formatEndpoint(l)} ${l.state} (sent ${l.sent}${l.dropped > 0 ? `, dropped ${l.dropped}` : ''})`)
        .join(', ');
      const c = config.stats();
      write(
        `${uptime(started)} vantage ${opts.vantage} | ${probeChecks(plan).length} checks | ${rate.toFixed(1)} probes/s, start p99 ${lateness.sample().p99Ms.toFixed(1)} ms late${s.crashes > 0 ? ` | checker crashes ${s.crashes}` : ''} | vectors → ${links} | config ${short(c.version)} (rejected ${c.rejected})`,
      );
    }, opts.statusEverySec * 1000);
    await stopped;
  } finally {
    if (statusTimer !== null) clearInterval(statusTimer);
    ticker?.stop();
    await config.stop();
    publisher?.close();
    await node?.stop();
    await admin?.stop();
  }
  write('urnd checker: stopped');
}
