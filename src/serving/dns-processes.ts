/**
 * More DNS cores: N DNS processes answering on one address, each fed every
 * status frame by the supervisor.
 *
 * Sharing the port, by what this Node has:
 * - Node ≥ 22.12 on Linux (reuse-port.ts): each process opens its own UDP
 *   and TCP sockets with SO_REUSEPORT, process 0 first (so port 0 becomes
 *   one port for all), the rest on the port it got. One kernel queue per
 *   process: no shared-socket wake-ups, and each queue's time bound
 *   (udp-queue-bound.ts) follows its own process's rate.
 * - Older Node: the supervisor binds the UDP and the TCP socket once and
 *   every process inherits both at fork (shared-sockets.ts explains why not
 *   node:cluster); each process's resolver thread reads and accepts on
 *   them, and the kernel gives every datagram and every connection to one
 *   of the processes waiting.
 * - Where Node lacks the socket handles that needs, process i answers on
 *   `dns.listen`'s port + i instead, and the start line says so.
 *
 * Frames: the supervisor receives each status frame once (its own
 * FrameListener and SnapshotReceiver, so every bad frame is rejected and
 * counted once, where it arrived) and relays the bytes of every applied frame
 * to every process over IPC. Each process checks it again with its own
 * SnapshotReceiver and copies it into its own StatusTable. Per process at most
 * one frame is in flight and one pending (the newest replaces an unsent
 * older one), as with the TCP push. A process started later (or restarted)
 * gets the last good frame at once, so it never answers from an empty table
 * while others have data; with `holdUntilTable` (`urnd dns`) a process with
 * no frame at all answers SERVFAIL until its first. A process that dies is started again on the same
 * sockets after a fixed delay, no backoff; the others keep answering.
 */
import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../config/plan.js';
import { UrndError, type UrndErrorCode } from '../errors.js';
import { bindSharedDnsSockets, INHERITED_TCP_FD, INHERITED_UDP_FD, type SharedDnsSockets } from './shared-sockets.js';
import type { FromDnsProcess, ToDnsProcess } from './dns-process-messages.js';
import { formatEndpoint } from '../config/plan-change.js';
import { reusePortAvailable } from './reuse-port.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled entry of a DNS process (also when this module runs from TypeScript source, as in tests). */
const ENTRY = here.split(path.sep).includes('dist')
  ? path.join(here, 'dns-process-main.js')
  : path.resolve(here, '..', '..', 'dist', 'src', 'serving', 'dns-process-main.js');

export interface DnsProcessSetOptions {
  /** How many DNS processes. */
  readonly count: number;
  /** The config document every process follows itself (file or URL). */
  readonly configSource: string;
  readonly configIntervalMs?: number;
  /** Where every process answers (port 0: the OS picks one for all). */
  readonly listen: Endpoint;
  /** One port per process (`listen.port + i`) even where one shared port is possible. Default false. */
  readonly separatePorts?: boolean;
  /**
   * How processes share one port: 'reuse-port' (each its own sockets,
   * SO_REUSEPORT) or 'inherited' (the supervisor's sockets). Default:
   * 'reuse-port' where this Node has it (reuse-port.ts), else 'inherited'.
   * Benchmarks set it to compare both on one Node.
   */
  readonly sharing?: 'reuse-port' | 'inherited';
  readonly log: (line: string) => void;
  /** Before a dead process is started again, ms. Default 1000. */
  readonly restartDelayMs?: number;
  /** How long a process may take to answer on its port, ms. Default 15,000. */
  readonly startTimeoutMs?: number;
  /**
   * Each process answers SERVFAIL until its own table has had a frame
   * (`urnd dns`: frames are the only truth it has). Default false: `urnd
   * serve`'s processes answer from the start, as its own resolver does.
   */
  readonly holdUntilTable?: boolean;
}

interface Member {
  readonly index: number;
  /** Where it answers: the requested address until the first start, then the bound one. */
  listen: Endpoint;
  proc: ChildProcess | null;
  ready: boolean;
  inFlight: boolean;
  pending: Uint8Array | null;
  queriesPerSec: number;
  /** Queries answered by the process now running (its last report). */
  answered: number;
  /** Of those, SERVFAIL replies (held before the process's first frame). */
  servfail: number;
  restarts: number;
  replaced: number;
}

/** A point-in-time view of the DNS processes. */
export interface DnsProcessSetSample {
  readonly up: number;
  readonly count: number;
  /** Sum over the processes of their last reported rate. */
  readonly queriesPerSec: number;
  readonly restarts: number;
  /** Frames replaced unsent because a process was still taking the one before. */
  readonly replaced: number;
  /** Per process, in order: queries answered by the one now running (shows how the kernel spreads a shared port). */
  readonly answered: readonly number[];
  /** SERVFAIL replies of the processes now running, summed (held before each one's first frame). */
  readonly servfail: number;
}

export class DnsProcessSet {
  private readonly members: Member[];
  private readonly options: DnsProcessSetOptions;
  /** The supervisor's copies of the shared sockets; null when each process binds its own port. */
  private readonly shared: SharedDnsSockets | null;
  /** Each process binds the one address itself with SO_REUSEPORT. */
  private readonly reusePort: boolean;
  private lastFrame: Uint8Array | null = null;
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(options: DnsProcessSetOptions, shared: SharedDnsSockets | null, reusePort: boolean) {
    this.options = options;
    this.shared = shared;
    this.reusePort = reusePort;
    this.members = Array.from({ length: options.count }, (_, index) => ({
      index,
      listen:
        shared !== null
          ? { host: shared.host, port: shared.port }
          : reusePort
            ? { host: options.listen.host, port: options.listen.port }
            : { host: options.listen.host, port: options.listen.port === 0 ? 0 : options.listen.port + index },
      proc: null,
      ready: false,
      inFlight: false,
      pending: null,
      queriesPerSec: 0,
      answered: 0,
      servfail: 0,
      restarts: 0,
      replaced: 0,
    }));
  }

  /**
   * Starts every process and resolves once each answers on its port. If any
   * cannot start (its port taken, a bad config), stops the others and
   * rejects with that process's error (URND_ERR_DNS_LISTEN, …).
   */
  static async start(options: DnsProcessSetOptions): Promise<DnsProcessSet> {
    if (!Number.isInteger(options.count) || options.count < 1)
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `DNS processes: ${String(options.count)} is not a positive whole number`,
      );
    const separate = options.separatePorts === true;
    const reusePort =
      !separate && (options.sharing ?? (reusePortAvailable() ? 'reuse-port' : 'inherited')) === 'reuse-port';
    const shared = separate || reusePort ? null : bindSharedDnsSockets(options.listen.host, options.listen.port);
    const set = new DnsProcessSet(options, shared, reusePort);
    let started: PromiseSettledResult<void>[];
    if (reusePort) {
      // Process 0 first: with port 0 the port it gets is the one all the others bind.
      const [first, ...rest] = set.members as [Member, ...Member[]];
      started = [await Promise.allSettled([set.spawn(first)]).then((r) => r[0] as PromiseSettledResult<void>)];
      if (started[0]?.status === 'fulfilled') {
        for (const m of rest) m.listen = first.listen;
        started.push(...(await Promise.allSettled(rest.map((m) => set.spawn(m)))));
      }
    } else {
      started = await Promise.allSettled(set.members.map((m) => set.spawn(m)));
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await set.stop();
      throw failed.reason;
    }
    return set;
  }

  /** Where each process answers, in order. */
  get addresses(): Endpoint[] {
    return this.members.map((m) => m.listen);
  }

  /** True when every process answers on one shared address. */
  get sharedPort(): boolean {
    return this.shared !== null || this.reusePort;
  }

  /** How the processes share the address: 'reuse-port', 'inherited', or null (one port each). */
  get sharing(): 'reuse-port' | 'inherited' | null {
    return this.reusePort ? 'reuse-port' : this.shared !== null ? 'inherited' : null;
  }

  /**
   * `127.0.0.1:5301 (udp+tcp, 2 processes sharing it; pids 41, 42)`, or with
   * one port each `127.0.0.1:5301-5302 (udp+tcp, 2 processes, one port each; …)`.
   */
  describe(): string {
    const pids = this.pids.map((p) => p ?? '-').join(', ');
    if (this.shared !== null)
      return `${formatEndpoint(this.shared)} (udp+tcp, ${this.members.length} processes sharing it; pids ${pids})`;
    const first0 = this.members[0];
    if (this.reusePort && first0 !== undefined)
      return `${formatEndpoint(first0.listen)} (udp+tcp, ${this.members.length} processes sharing it by SO_REUSEPORT; pids ${pids})`;
    const a = this.addresses;
    const first = a[0] as Endpoint;
    const consecutive = a.every((e, i) => e.host === first.host && e.port === first.port + i);
    const where =
      consecutive && a.length > 1
        ? `${formatEndpoint(first)}-${first.port + a.length - 1}`
        : a.map(formatEndpoint).join(', ');
    return `${where} (udp+tcp, ${a.length} processes, one port each; pids ${pids})`;
  }

  /** The newest good frame: to every process now, and to any started later. Never waits. */
  relay(frame: Uint8Array): void {
    if (this.stopping) return;
    this.lastFrame = frame;
    for (const m of this.members) if (m.ready) this.send(m, frame);
  }

  sample(): DnsProcessSetSample {
    let up = 0;
    let q = 0;
    let restarts = 0;
    let replaced = 0;
    for (const m of this.members) {
      if (m.ready) {
        up++;
        q += m.queriesPerSec;
      }
      restarts += m.restarts;
      replaced += m.replaced;
    }
    return {
      up,
      count: this.members.length,
      queriesPerSec: q,
      restarts,
      replaced,
      answered: this.members.map((m) => m.answered),
      servfail: this.members.reduce((n, m) => n + m.servfail, 0),
    };
  }

  /** The process ids (tests kill one to prove the restart). */
  get pids(): (number | null)[] {
    return this.members.map((m) => m.proc?.pid ?? null);
  }

  /** Tells every process to stop; waits for them to exit (killing any that take over 5 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(
      this.members.map(async (m) => {
        const proc = m.proc;
        if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        try {
          proc.send({ type: 'stop' } satisfies ToDnsProcess);
        } catch {
          proc.kill('SIGTERM');
        }
        const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      }),
    );
    this.shared?.close();
  }

  private spawn(m: Member): Promise<void> {
    const args = [
      '--config',
      this.options.configSource,
      '--dns-listen',
      formatEndpoint(m.listen),
      '--index',
      String(m.index),
    ];
    if (this.options.configIntervalMs !== undefined)
      args.push('--config-interval-ms', String(this.options.configIntervalMs));
    const shared = this.shared;
    if (shared !== null) args.push('--inherited-sockets');
    if (this.reusePort) args.push('--reuse-port');
    if (this.options.holdUntilTable === true) args.push('--hold-until-table');
    // Entry i of stdio is the child's fd i: the shared sockets land where the child looks for them.
    const stdio: (string | number)[] = ['ignore', 'inherit', 'inherit', 'ipc'];
    if (shared !== null) {
      stdio[INHERITED_UDP_FD] = shared.udpFd;
      stdio[INHERITED_TCP_FD] = shared.tcpFd;
    }
    const proc = fork(ENTRY, args, { serialization: 'advanced', stdio: stdio as StdioOptions });
    m.proc = proc;
    m.ready = false;
    m.inFlight = false;
    m.pending = null;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === null) resolve();
        else reject(err);
      };
      const ms = this.options.startTimeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        settle(
          new UrndError(
            'URND_ERR_DNS_WORKER',
            `DNS process ${m.index} (${formatEndpoint(m.listen)}) did not start within ${ms} ms`,
          ),
        );
        proc.kill('SIGKILL');
      }, ms);
      proc.on('message', (msg: FromDnsProcess) => {
        if (msg.type === 'intake-ready') {
          // The last good frame first, then "bind": IPC keeps the order.
          if (this.lastFrame !== null) proc.send({ type: 'frame', bytes: this.lastFrame } satisfies ToDnsProcess);
          proc.send({ type: 'primed' } satisfies ToDnsProcess);
        } else if (msg.type === 'ready') {
          m.listen = { host: msg.host, port: msg.port };
          m.ready = true;
          settle(null);
        } else if (msg.type === 'error') {
          settle(new UrndError(msg.code as UrndErrorCode, msg.message));
        } else if (msg.type === 'status') {
          m.queriesPerSec = msg.queriesPerSec;
          m.answered = msg.answered;
          m.servfail = msg.servfail;
        }
      });
      proc.on('error', (err) =>
        settle(new UrndError('URND_ERR_DNS_WORKER', `DNS process ${m.index}: ${err.message}`, { cause: err })),
      );
      proc.once('exit', (code, signal) => {
        settle(
          new UrndError(
            'URND_ERR_DNS_WORKER',
            `DNS process ${m.index} (${formatEndpoint(m.listen)}) exited (${signal ?? `code ${String(code)}`}) before it answered`,
          ),
        );
        if (m.proc !== proc) return;
        m.proc = null;
        m.ready = false;
        m.queriesPerSec = 0;
        m.answered = 0;
        m.servfail = 0;
        if (this.stopping) return;
        m.restarts += 1;
        this.restartLater(m, `exited (${signal ?? `code ${String(code)}`})`);
      });
    });
  }

  private restartLater(m: Member, why: string): void {
    const delay = this.options.restartDelayMs ?? 1000;
    this.options.log(
      `urnd dns: DNS process ${m.index} on ${formatEndpoint(m.listen)} ${why}; starting it again in ${delay} ms`,
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopping) return;
      this.spawn(m).then(
        () =>
          this.options.log(
            `urnd dns: DNS process ${m.index} answering again on ${formatEndpoint(m.listen)} (pid ${m.proc?.pid ?? '?'})`,
          ),
        (err: unknown) => {
          // Its 'exit' schedules the next attempt; one that hangs was killed and exits too.
          this.options.log(`urnd dns: DNS process ${m.index} restart failed: ${(err as Error).message}`);
        },
      );
    }, delay);
    this.timers.add(timer);
  }

  private send(m: Member, frame: Uint8Array): void {
    if (m.inFlight) {
      if (m.pending !== null) m.replaced++;
      m.pending = frame;
      return;
    }
    const proc = m.proc;
    if (proc === null || !proc.connected) return;
    m.inFlight = true;
    const sent = proc.send({ type: 'frame', bytes: frame } satisfies ToDnsProcess, (err) => {
      if (m.proc !== proc) return;
      m.inFlight = false;
      const next = m.pending;
      m.pending = null;
      if (err === null && next !== null) this.send(m, next);
    });
    if (!sent && !proc.connected) m.inFlight = false;
  }
}
