import { compileConfig } from '../config/compile.js';
import { loadConfigFile } from '../config/load.js';
import { RecordType, type Plan } from '../config/plan.js';
import { Cell, type CellStatus } from '../cell.js';
import { DemoTargets, type DemoEndpoint } from './demo-targets.js';

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
}

/**
 * `urnd serve`: a whole cell in one process, answering DNS on `dns.listen`
 * (or `--dns-listen`) unless `--no-dns`. Prints a status line every second
 * and shuts down cleanly on SIGINT or SIGTERM (or after --duration). If the
 * DNS address cannot be bound it stops what it started and throws
 * URND_ERR_DNS_LISTEN naming the address.
 */
export async function runServe(opts: ServeOptions, write: (line: string) => void): Promise<void> {
  const plan = compileConfig(await loadConfigFile(opts.configPath));
  const demo = opts.demo ? new DemoTargets(demoEndpoints(plan)) : null;
  if (demo !== null) await demo.start(opts.demoPeriodSec * 1000, write);

  const cell = Cell.start(plan, {
    ...(opts.checkers === undefined ? {} : { checkers: opts.checkers }),
    ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
    log: write,
    dns: opts.dns,
    ...(opts.dnsListen === undefined ? {} : { dnsOptions: { listen: opts.dnsListen } }),
  });
  try {
    await cell.ready;
  } catch (err) {
    await cell.stop();
    if (demo !== null) await demo.stop();
    throw err;
  }
  const probeCount = plan.checks.filter((c) => c.kind === 'probe').length;
  write(`urnd serve: cell "${plan.cell.name}", ${plan.cell.capacity} slots, ${probeCount} probe checks on ${cell.checkers.workers} checker workers, plan ${plan.version.slice(0, 12)}`);
  if (cell.dns !== null) write(`urnd serve: DNS on ${cell.dns.address} (udp+tcp)`);

  const started = Date.now();
  let lines = 0;
  const statusTimer = setInterval(() => {
    write(statusLine(cell, started));
    lines += 1;
    if (demo !== null && lines % 5 === 0) write(answersLine(cell));
  }, opts.statusEverySec * 1000);

  await new Promise<void>((resolve) => {
    const finish = (why: string) => {
      write(`urnd serve: ${why}, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => finish('SIGINT'));
    process.once('SIGTERM', () => finish('SIGTERM'));
    if (opts.durationSec > 0) setTimeout(() => finish(`--duration ${opts.durationSec}s reached`), opts.durationSec * 1000).unref();
  });
  clearInterval(statusTimer);
  await cell.stop();
  if (demo !== null) await demo.stop();
  write('urnd serve: stopped');
}

function statusLine(cell: Cell, started: number): string {
  const s = cell.status();
  const up = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  const change =
    s.lastChange === null
      ? 'no status change yet'
      : `last change ${((Date.now() - s.lastChange.atMs) / 1000).toFixed(1)} s ago: ${s.lastChange.check ?? `slot ${s.lastChange.slot}`} → ${s.lastChange.status}`;
  return `[${up}s] healthy ${s.healthy}  unhealthy ${s.unhealthy}  unknown ${s.unknown} | tick ${s.tickMs.toFixed(2)} ms | ${s.probesPerSec.toFixed(1)} probes/s | ${change}${s.crashes > 0 ? ` | checker crashes ${s.crashes}` : ''}${dnsPart(cell, s.dns)}`;
}

/** ` | dns 1234 q/s`, with what was shed or dropped in the last second when any was. */
function dnsPart(cell: Cell, d: CellStatus['dns']): string {
  if (cell.dns === null) return '';
  if (d === null) return ' | dns 0 q/s';
  const lost: string[] = [];
  if (d.shedPerSec > 0) lost.push(`shed ${d.shedPerSec.toFixed(0)}/s`);
  if (d.kernelDropsPerSec !== null && d.kernelDropsPerSec > 0) lost.push(`kernel drops ${d.kernelDropsPerSec.toFixed(0)}/s`);
  if (cell.dns.crashes > 0) lost.push(`resolver restarts ${cell.dns.crashes}`);
  return ` | dns ${d.queriesPerSec.toFixed(0)} q/s${lost.length > 0 ? ` (${lost.join(', ')})` : ''}`;
}

function answersLine(cell: Cell): string {
  const parts: string[] = [];
  for (const [name, set] of cell.plan.setByType[RecordType.A]) {
    const r = cell.resolver.resolve(name, 'A');
    const total = cell.plan.setLength[set] as number;
    parts.push(`${name} → ${r.addresses.length === 0 ? '(empty)' : r.addresses.length > 3 ? `${r.addresses.slice(0, 3).join(', ')} … (${r.addresses.length} of ${total})` : r.addresses.join(', ')}`);
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
