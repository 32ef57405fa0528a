import { RecordType, type Plan } from '../config/plan.js';
import { Cell, type CellStatus } from '../cell.js';
import { DnsProcessSet } from '../serving/dns-processes.js';
import { untilStopped } from './lifecycle.js';
import { ConfigLoop, short } from '../config/loop.js';
import { DemoTargets, type DemoEndpoint } from './demo-targets.js';
import { Admin, AdminListenWatch, adminAddressFor } from '../admin/admin.js';
import { serveSource } from '../admin/serve-source.js';
import { addPage, servePageSource } from '../admin/page/index.js';

/** Options of `urnd serve`. */
export interface ServeOptions {
  readonly configPath: string;
  readonly demo: boolean;
  readonly checkers?: number;
  readonly tickMs?: number;
  /** Seconds between the demo's down/up flips. */
  readonly demoPeriodSec: number;
  /** Stop after this many seconds (0: run until SIGINT/SIGTERM). */
  readonly durationSec: number;
  readonly statusEverySec: number;
  /** Answer DNS (UDP and TCP) from a resolver worker thread. */
  readonly dns: boolean;
  /** Answer DNS here instead of the config's `dns.listen` (`--dns-listen`); port 0: the OS picks. */
  readonly dnsListen?: { readonly host: string; readonly port: number };
  /** `--config-interval`, ms; default: the document's `configInterval`. */
  readonly configIntervalMs?: number;
  /** `--admin`: the admin HTTP listener's address, null for `off`; absent: the document's `admin.listen`, else `adminDefault`. */
  readonly admin?: { readonly host: string; readonly port: number } | null;
  /** The admin address when neither `--admin` nor `admin.listen` says (`--admin` text); absent: none. */
  readonly adminDefault?: string;
  /** `--lameduck`: seconds between SIGTERM/SIGINT and the stop, with /readyz 503 and DNS answering (default 0). */
  readonly lameduckSec?: number;
}

/**
 * `urnd serve`: every node in one process — a Cell (checker node, aggregator
 * node, DNS front) answering DNS on `dns.listen` (or `--dns-listen`) unless
 * `--no-dns`. Prints a status line every second and shuts down cleanly on
 * SIGINT or SIGTERM (or after --duration). If the DNS address, or with
 * --demo a demo target's address, cannot be bound it stops what it started
 * and throws URND_ERR_DNS_LISTEN / URND_ERR_DEMO_LISTEN naming the address
 * (URND_ERR_ADMIN_LISTEN for the admin address). SIGHUP runs a config pass
 * at once; with `lameduckSec`, SIGTERM first turns /readyz 503 for that long
 * while DNS keeps answering.
 */
export async function runServe(opts: ServeOptions, write: (line: string) => void): Promise<void> {
  const config = await ConfigLoop.start({
    role: 'serve',
    source: opts.configPath,
    log: write,
    ...(opts.configIntervalMs === undefined ? {} : { intervalMs: opts.configIntervalMs }),
  });
  const plan = config.plan;
  const demo = opts.demo ? new DemoTargets(demoEndpoints(plan)) : null;
  try {
    if (demo !== null) await demo.start(opts.demoPeriodSec * 1000, write);
  } catch (err) {
    await config.stop();
    throw err;
  }

  // dns.workers > 1: DNS processes sharing dns.listen, fed this cell's status frames (dns-processes.ts).
  const dnsProcesses = opts.dns && plan.dns.workers > 1 ? plan.dns.workers : 0;
  let set: DnsProcessSet | null = null;
  const cell = Cell.start(plan, {
    ...(opts.checkers === undefined ? {} : { checkers: opts.checkers }),
    tickMs: opts.tickMs ?? plan.aggregator.tickMs,
    log: write,
    dns: opts.dns && dnsProcesses === 0,
    ...(opts.dnsListen === undefined ? {} : { dnsOptions: { listen: opts.dnsListen } }),
    // The DNS processes get the cell's table as a status frame once a tick, like remote DNS servers.
    ...(dnsProcesses === 0 ? {} : { onStatusFrame: (frame: Buffer) => set?.relay(frame), frameKey: config.key }),
  });
  let admin: Admin | null = null;
  try {
    await cell.ready;
    if (dnsProcesses > 0) {
      set = await DnsProcessSet.start({
        count: dnsProcesses,
        configSource: opts.configPath,
        configIntervalMs: config.intervalMs,
        listen: opts.dnsListen ?? { host: plan.dns.host, port: plan.dns.port },
        log: write,
      });
    }
    const adminAt = adminAddressFor('serve', opts.admin, config.plan.admin.listen, opts.adminDefault);
    if (adminAt !== null) {
      admin = await Admin.start(adminAt, serveSource({ cell, config, dnsSet: set, dns: opts.dns }));
      addPage(admin.server, servePageSource(cell));
    }
  } catch (err) {
    await set?.stop();
    await config.stop();
    await cell.stop();
    if (demo !== null) await demo.stop();
    throw err;
  }
  // Every config pass, changed or not, is applied in full (the cell's nodes, in the one reload order).
  const adminListen = new AdminListenWatch(plan.admin.listen, opts.admin !== undefined);
  config.onApply(async (next) => {
    await cell.setPlan(next.plan, next.key);
    const note = adminListen.check(next.plan.admin.listen);
    if (note !== null) write(`urnd serve: ${note}`);
  });
  const dnsSet = set;

  // Signals are ours before the first line that says the process is up: a
  // SIGHUP or SIGTERM sent on seeing it must not meet Node's default (exit).
  const stopped = untilStopped('serve', opts.durationSec, write, {
    reload: () => config.passNow(),
    lameduckSec: opts.lameduckSec ?? 0,
    onLameduck: () => admin?.startLameduck(),
  });
  const probeCount = plan.checks.filter((c) => c.kind === 'probe').length;
  write(
    `urnd serve: cell "${plan.cell.name}", ${plan.cell.capacity} slots, ${probeCount} probe checks on ${cell.checkers.workers} checker workers, plan ${short(plan.version)}, config every ${config.intervalMs / 1000} s`,
  );
  if (cell.dns !== null) write(`urnd serve: DNS on ${cell.dns.address} (udp+tcp)`);
  if (dnsSet !== null) write(`urnd serve: DNS on ${dnsSet.describe()}`);
  if (admin !== null)
    write(
      `urnd serve: admin on http://${admin.server.address} (live page at /; /metrics /healthz /readyz /status /explain)`,
    );

  const started = Date.now();
  let lines = 0;
  const statusTimer = setInterval(() => {
    write(statusLine(cell, started, config, dnsSet));
    lines += 1;
    if (demo !== null && lines % 5 === 0) write(answersLine(cell));
  }, opts.statusEverySec * 1000);

  await stopped;
  clearInterval(statusTimer);
  await config.stop();
  await dnsSet?.stop();
  await cell.stop();
  if (demo !== null) await demo.stop();
  await admin?.stop();
  write('urnd serve: stopped');
}

function statusLine(cell: Cell, started: number, config: ConfigLoop, set: DnsProcessSet | null): string {
  const s = cell.status();
  const up = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  const change =
    s.lastChange === null
      ? 'no status change yet'
      : `last change ${((Date.now() - s.lastChange.atMs) / 1000).toFixed(1)} s ago: ${s.lastChange.check ?? `slot ${s.lastChange.slot}`} → ${s.lastChange.status}`;
  const rejected = config.stats().rejected;
  const configPart = rejected > 0 ? ` | config ${short(config.stats().version)} (rejected ${rejected})` : '';
  return `[${up}s] healthy ${s.healthy}  unhealthy ${s.unhealthy}  unknown ${s.unknown} | tick ${s.tickMs.toFixed(2)} ms | ${s.probesPerSec.toFixed(1)} probes/s, start p99 ${s.latenessP99Ms.toFixed(1)} ms late | ${change}${s.crashes > 0 ? ` | checker crashes ${s.crashes}` : ''}${configPart}${set === null ? dnsPart(cell, s.dns) : processesPart(set)}`;
}

/** ` | dns 1234 q/s (2/2 processes up, answered 600+634)` for DNS processes. */
function processesPart(set: DnsProcessSet): string {
  const p = set.sample();
  return ` | dns ${p.queriesPerSec.toFixed(0)} q/s (${p.up}/${p.count} processes up${p.restarts > 0 ? `, restarts ${p.restarts}` : ''}, answered ${p.answered.join('+')})`;
}

/** ` | dns 1234 q/s`, with what was shed or dropped in the last second when any was. */
function dnsPart(cell: Cell, d: CellStatus['dns']): string {
  if (cell.dns === null) return '';
  if (d === null) return ' | dns 0 q/s';
  const lost: string[] = [];
  if (d.shedPerSec > 0) lost.push(`shed ${d.shedPerSec.toFixed(0)}/s`);
  if (d.kernelDropsPerSec !== null && d.kernelDropsPerSec > 0)
    lost.push(`kernel drops ${d.kernelDropsPerSec.toFixed(0)}/s`);
  if (cell.dns.crashes > 0) lost.push(`resolver restarts ${cell.dns.crashes}`);
  return ` | dns ${d.queriesPerSec.toFixed(0)} q/s${lost.length > 0 ? ` (${lost.join(', ')})` : ''}`;
}

function answersLine(cell: Cell): string {
  const parts: string[] = [];
  for (const [name, set] of cell.plan.setByType[RecordType.A]) {
    const r = cell.resolver.resolve(name, 'A');
    const total = cell.plan.setLength[set] as number;
    parts.push(
      `${name} → ${r.addresses.length === 0 ? '(empty)' : r.addresses.length > 3 ? `${r.addresses.slice(0, 3).join(', ')} … (${r.addresses.length} of ${total})` : r.addresses.join(', ')}`,
    );
  }
  return `        answers: ${parts.join(' | ')}`;
}

/** Loopback endpoints of the plan's probe checks, one per host:port. */
export function demoEndpoints(plan: Plan): DemoEndpoint[] {
  const seen = new Map<string, DemoEndpoint>();
  for (const c of plan.checks) {
    if (c.kind !== 'probe' || c.type === 'https') continue;
    if (!(c.host.startsWith('127.') || c.host === '::1')) continue;
    seen.set(`${c.host}:${c.port}`, { host: c.host, port: c.port });
  }
  return [...seen.values()];
}
