/**
 * `urnd dns`: a DNS server fed by status frames. It listens for the
 * aggregators' frames (`dns.framesListen` or `--frames-listen`), applies each
 * good one to its StatusTable, and answers DNS from that table (`dns.listen`
 * or `--dns-listen`). It runs no checks and computes no status.
 *
 * Static stability: when frames stop (the aggregator is dead, the network
 * is cut) or go bad (corrupt, truncated, wrong key), it keeps answering from
 * the last good table and says how stale it is on its status line; the next
 * good frame heals it. There is no other mode.
 *
 * Before its first good frame it has no table at all (every slot unknown,
 * which would answer every target, the dead ones too), so every DNS process
 * it runs answers SERVFAIL until that frame (`holdUntilTable`), as an
 * authoritative server does for a zone it has not loaded: resolvers ask
 * another of the zone's servers. Once a frame has landed that never recurs.
 *
 * `--workers N` (or `dns.workers: N`): N DNS processes sharing dns.listen,
 * fed by this process (see ../serving/dns-processes.ts).
 */
import type { Endpoint, Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { FrameListener } from '../snapshot/push.js';
import { isGenuine } from '../snapshot/receiver.js';
import { defaultMaxFrameBytes } from '../snapshot/frame.js';
import { StatusTable } from '../table/status-table.js';
import { DnsNode } from '../serving/dns-node.js';
import { DnsProcessSet } from '../serving/dns-processes.js';
import { FRAME_TIMEOUT_TICKS, countChecks, formatCounts, untilStopped, uptime } from './lifecycle.js';
import { formatEndpoint } from '../config/plan-change.js';
import { StatusIntake, formatConnections, formatRejections, formatStaleness } from './receivers.js';
import { ConfigLoop, short } from '../config/loop.js';
import { addPage, dnsPageSource } from '../admin/page/index.js';
import { Admin, AdminListenWatch, adminAddressFor } from '../admin/admin.js';
import { dnsSource } from '../admin/role-sources.js';
import { StatusChanges } from '../table/status-changes.js';

export interface DnsRoleOptions {
  readonly configSource: string;
  /** `--config-interval`, ms; default: the document's `configInterval`. */
  readonly configIntervalMs?: number;
  /** `--frames-listen`; default `dns.framesListen`. Port 0: the OS picks (the start line says which). */
  readonly framesListen?: Endpoint;
  /** `--dns-listen`; default `dns.listen`. */
  readonly dnsListen?: Endpoint;
  /** `--workers`; default `dns.workers`. */
  readonly workers?: number;
  readonly statusEverySec: number;
  readonly durationSec: number;
  /** `--admin`: the admin HTTP listener's address, null for `off`; absent: the document's `admin.listen`, else `adminDefault`. */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /** The admin address when neither `--admin` nor `admin.listen` says (`--admin` text); absent: none. */
  readonly adminDefault?: string;
  /** `--lameduck`: seconds of /readyz 503 between SIGTERM/SIGINT and the stop (default 0). */
  readonly lameduckSec?: number;
}

export async function runDns(opts: DnsRoleOptions, write: (line: string) => void): Promise<void> {
  const startedAt = Date.now();
  const config = await ConfigLoop.start({
    role: 'dns',
    source: opts.configSource,
    log: write,
    ...(opts.configIntervalMs === undefined ? {} : { intervalMs: opts.configIntervalMs }),
  });
  const stops: (() => Promise<void>)[] = [() => config.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const plan = config.plan;
    const framesListen = opts.framesListen ?? plan.dns.framesListen;
    if (framesListen === null) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        'no address for status frames: set dns.framesListen in the config or give --frames-listen HOST:PORT',
      );
    }
    const workers = opts.workers ?? plan.dns.workers;
    const dnsListen = opts.dnsListen ?? { host: plan.dns.host, port: plan.dns.port };

    // One process answers itself; N processes are fed by this one.
    let node: DnsNode | null = null;
    let set: DnsProcessSet | null = null;
    let intake: StatusIntake;
    if (workers === 1) {
      node = await DnsNode.start(config.applied, { listen: dnsListen, log: write, holdUntilTable: true });
      const n = node;
      stops.push(() => n.stop());
      intake = node.intake;
    } else {
      intake = new StatusIntake(StatusTable.create(plan.cell.capacity), plan, config.key);
      set = await DnsProcessSet.start({
        count: workers,
        configSource: opts.configSource,
        configIntervalMs: config.intervalMs,
        listen: dnsListen,
        log: write,
        holdUntilTable: true,
      });
      const s = set;
      stops.push(() => s.stop());
    }
    const relay = set;
    const changes = new StatusChanges(plan.cell.capacity);
    let firstFrameAt: number | null = null;
    const listener = await FrameListener.listen(
      {
        host: framesListen.host,
        port: framesListen.port,
        maxBytes: defaultMaxFrameBytes(plan.cell.capacity, 'status'),
        frameTimeoutMs: () => FRAME_TIMEOUT_TICKS * config.plan.aggregator.tickMs,
        log: write,
        purpose: 'status frames',
        setting: '--frames-listen HOST:PORT or dns.framesListen',
      },
      (bytes) => {
        const out = intake.receive(bytes);
        if (out.applied) changes.update(intake.table.statuses, Date.now());
        if (out.applied && firstFrameAt === null) {
          firstFrameAt = Date.now();
          write(
            `urnd dns: first status frame applied (seq ${intake.staleness().lastSequence}, ${((firstFrameAt - startedAt) / 1000).toFixed(1)} s after start): answering from the table`,
          );
        }
        if (out.applied && relay !== null) relay.relay(intake.lastFrame as Buffer);
        return isGenuine(out);
      },
    );
    stops.push(() => listener.close());

    const adminListen = new AdminListenWatch(plan.admin.listen, opts.admin !== undefined);
    config.onApply((next) => {
      if (node !== null) node.apply(next);
      else intake.apply(next.plan, next.key);
      const note = adminListen.check(next.plan.admin.listen);
      if (note !== null) write(`urnd dns: ${note}`);
    });

    let admin: Admin | null = null;
    // Signals are ours before the first line that says the process is up: a
    // SIGHUP or SIGTERM sent on seeing it must not meet Node's default (exit).
    const stopped = untilStopped('dns', opts.durationSec, write, {
      reload: () => config.passNow(),
      lameduckSec: opts.lameduckSec ?? 0,
      onLameduck: () => admin?.startLameduck(),
    });
    write(
      `urnd dns: cell "${plan.cell.name}", ${plan.cell.capacity} slots, plan ${short(plan.version)}, config every ${config.intervalMs / 1000} s from ${opts.configSource}`,
    );
    write(
      `urnd dns: status frames on ${formatEndpoint(listener.address)} (tcp)${config.key === undefined ? ', unkeyed (CRC32C only)' : ', HMAC-SHA256 keyed'}`,
    );
    if (node !== null) write(`urnd dns: DNS on ${node.front.address} (udp+tcp)`);
    if (set !== null) write(`urnd dns: DNS on ${set.describe()}`);
    if (firstFrameAt === null) write('urnd dns: answering SERVFAIL until the first status frame');

    const adminAt = adminAddressFor('dns', opts.admin, config.plan.admin.listen, opts.adminDefault);
    if (adminAt !== null) {
      const a = await Admin.start(
        adminAt,
        dnsSource({ config, intake, changes, listener, front: node?.front ?? null, set }),
      );
      addPage(a.server, dnsPageSource({ plan: () => config.plan, intake, changes }));
      admin = a;
      stops.push(() => a.stop());
      write(`urnd dns: admin on http://${a.server.address} (live page at /)`);
    }
    const started = Date.now();
    const statusTimer = setInterval(
      () => write(statusLine(started, config, intake, listener, node, set)),
      opts.statusEverySec * 1000,
    );
    stops.push(async () => clearInterval(statusTimer));
    await stopped;
  } finally {
    await stopAll();
  }
  write('urnd dns: stopped');
}

/**
 * `[  12s] frames: last good 0.4 s ago, seq 42, lag 0, rejected 1 (checksum 1) | healthy 3  unhealthy 1  unknown 0 | dns 120 q/s | config 1a2b3c4d5e6f (rejected 0)`
 * (`dns 120 q/s (servfail 7)` once queries were held before the first frame)
 * (`, cut mid-frame N, connections closed N (idle N, slow N, …)` after the rejections once a sender hung up part-way through a frame or the listener closed a connection).
 */
function statusLine(
  started: number,
  config: ConfigLoop,
  intake: StatusIntake,
  listener: FrameListener,
  node: DnsNode | null,
  set: DnsProcessSet | null,
): string {
  const plan: Plan = config.plan;
  // Connections cut mid-frame or closed by the listener (idle, slow, oversized, …) never reach the receiver: counted by the listener.
  const frames = `frames: ${formatStaleness(intake.staleness())}, ${formatRejections(intake.counters)}${formatConnections(listener.stats())}`;
  let dns: string;
  if (node !== null) {
    const d = node.front.sample;
    const lost: string[] = [];
    if (d !== null && d.shedPerSec > 0) lost.push(`shed ${d.shedPerSec.toFixed(0)}/s`);
    if (d !== null && d.kernelDropsPerSec !== null && d.kernelDropsPerSec > 0)
      lost.push(`kernel drops ${d.kernelDropsPerSec.toFixed(0)}/s`);
    if (node.front.crashes > 0) lost.push(`resolver restarts ${node.front.crashes}`);
    // Held before the first frame (holdUntilTable): only ever grows until then.
    const held = d?.stats.responder.servfail ?? 0;
    if (held > 0) lost.push(`servfail ${held}`);
    dns = `dns ${(d?.queriesPerSec ?? 0).toFixed(0)} q/s${lost.length > 0 ? ` (${lost.join(', ')})` : ''}`;
  } else {
    const s = (set as DnsProcessSet).sample();
    dns = `dns ${s.queriesPerSec.toFixed(0)} q/s, ${s.up}/${s.count} processes up${s.restarts > 0 ? `, restarts ${s.restarts}` : ''}, answered ${s.answered.join('+')}${s.servfail > 0 ? `, servfail ${s.servfail}` : ''}`;
  }
  const c = config.stats();
  return `${uptime(started)} ${frames} | ${formatCounts(countChecks(plan, intake.table))} | ${dns} | config ${short(c.version)} (rejected ${c.rejected})`;
}
