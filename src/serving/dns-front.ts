/**
 * The main thread's side of DNS serving: starts the resolver worker thread
 * that owns the DNS sockets, hands it the plan and the StatusTable buffer,
 * forwards config reloads, samples its counters once a second, and restarts
 * it (same address, fixed delay, no backoff) if the thread dies. The main
 * thread never touches a query.
 *
 * One resolver thread per DnsFront, so `dns.workers` > 1 is rejected here
 * with URND_ERR_DNS_WORKERS: more cores are used by more DNS processes fed
 * by snapshots (DESIGN.md, "Threads inside one process"), which
 * `urnd dns --workers N` and `urnd serve` with `dns.workers: N` run on one
 * shared address (dns-processes.ts, shared-sockets.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import type { StatusTable } from '../table/status-table.js';
import { compiledWorker } from '../worker-path.js';
import type {
  DnsServerStats,
  DnsServerTuning,
  FromResolverWorker,
  InheritedSockets,
  ResolverReadyMessage,
  ToResolverWorker,
} from './resolver-messages.js';
import { formatAddress, type DnsAddress } from './listen-address.js';

/** Options of a DnsFront. */
export interface DnsFrontOptions {
  /** Answer here instead of the plan's `dns.listen` (`--dns-listen`); port 0: the OS picks. */
  listen?: DnsAddress;
  /** Seed of the resolver's random choices (repeatable answers in tests). */
  seed?: number;
  /** Shedding limits; see DnsServerTuning. */
  tuning?: Partial<DnsServerTuning>;
  /** How often `sample` is refreshed, ms; 0: never. Default 1000. */
  sampleEveryMs?: number;
  /** Delay before a dead resolver thread is started again, ms. Default 1000. */
  restartDelayMs?: number;
  /** How long a worker may take to start or to answer a stats request, ms. Default 10,000 / 2,000. */
  startTimeoutMs?: number;
  statsTimeoutMs?: number;
  /**
   * Serve on sockets this process inherited, already bound by its supervisor
   * (`urnd dns --workers N`; see shared-sockets.ts), instead of binding
   * `listen`. Closing them is final (a thread that exits takes them along),
   * so a lost resolver thread is not restarted here: `onThreadLost` is
   * called, and the process is expected to exit and be started again.
   */
  inherited?: InheritedSockets;
  /** Bind `listen` with SO_REUSEPORT, beside other DNS processes on the same address (Node ≥ 22.12; reuse-port.ts). */
  reusePort?: boolean;
  /**
   * SERVFAIL every query until the StatusTable's first update (`urnd dns`:
   * a fresh table fed by frames knows nothing). A restarted thread on a
   * table already updated answers at once. Default false (`urnd serve`).
   */
  holdUntilTable?: boolean;
  onThreadLost?: (code: number) => void;
  /** Where worker crashes and rejected plans are reported; default stderr. */
  log?: (message: string) => void;
}

/** The counters at one moment, with per-second rates since the sample before. */
export interface DnsSample {
  /** When the stats arrived, ms since the epoch. */
  readonly atMs: number;
  /** Queries received (UDP datagrams + TCP frames) per second. */
  readonly queriesPerSec: number;
  /** UDP queries shed per second (event loop over its lag bound). */
  readonly shedPerSec: number;
  /** Datagrams the kernel dropped per second (receive buffer full); null when unknown (not Linux). */
  readonly kernelDropsPerSec: number | null;
  readonly stats: DnsServerStats;
}

interface PendingStats {
  resolve: (s: DnsServerStats) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** DNS on UDP and TCP for a cell's StatusTable, served by a resolver worker thread. */
export class DnsFront {
  /** The bound address (the OS's pick when port 0 was asked for). */
  readonly host: string;
  readonly port: number;
  private planRef: Plan;
  private readonly statusTable: StatusTable;
  private readonly options: DnsFrontOptions;
  private readonly log: (message: string) => void;
  private worker: Worker | null = null;
  private stopping = false;
  private crashCount = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private sampling = false;
  private lastSample: DnsSample | null = null;
  private nextStatsId = 1;
  private readonly pending = new Map<number, PendingStats>();
  private exited: Promise<void> = Promise.resolve();

  private constructor(plan: Plan, statusTable: StatusTable, options: DnsFrontOptions, bound: DnsAddress) {
    this.planRef = plan;
    this.statusTable = statusTable;
    this.options = options;
    this.log = options.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.host = bound.host;
    this.port = bound.port;
  }

  /**
   * Starts the resolver thread and resolves once it answers on UDP and TCP.
   * Rejects with URND_ERR_DNS_WORKERS when `plan.dns.workers` > 1,
   * URND_ERR_DNS_LISTEN when the address cannot be bound (naming it), and
   * URND_ERR_DNS_WORKER when the thread fails otherwise.
   */
  static async start(plan: Plan, statusTable: StatusTable, options: DnsFrontOptions = {}): Promise<DnsFront> {
    const listen = options.listen ?? { host: plan.dns.host, port: plan.dns.port };
    if (plan.dns.workers > 1) {
      throw new UrndError(
        'URND_ERR_DNS_WORKERS',
        `dns.workers: ${plan.dns.workers}: one DnsFront runs one resolver thread on ${formatAddress(listen.host, listen.port)}. ` +
          'For more cores run DNS processes: `urnd serve` and `urnd dns --workers N` start dns.workers of them sharing the address.',
      );
    }
    checkCapacity(plan, statusTable);
    const { worker, ready, exited } = spawn(plan, statusTable, listen, options);
    let bound: ResolverReadyMessage;
    try {
      bound = await ready;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    const front = new DnsFront(plan, statusTable, options, { host: bound.host, port: bound.port });
    front.adopt(worker, exited);
    const every = options.sampleEveryMs ?? 1000;
    if (every > 0) {
      front.sampleTimer = setInterval(() => front.takeSample(), every);
      front.sampleTimer.unref();
    }
    return front;
  }

  /** `host:port` it answers on (IPv6 in brackets). */
  get address(): string {
    return formatAddress(this.host, this.port);
  }

  /** The plan the resolver answers from (the latest `setPlan`). */
  get plan(): Plan {
    return this.planRef;
  }

  /** The resolver thread, or null while it is being restarted (tests kill it to prove recovery). */
  get thread(): Worker | null {
    return this.worker;
  }

  /** Resolver threads lost since start. */
  get crashes(): number {
    return this.crashCount;
  }

  /** The latest once-a-second sample; null before the first. */
  get sample(): DnsSample | null {
    return this.lastSample;
  }

  /**
   * A config reload: the worker answers from `plan` from its next query on.
   * Throws URND_ERR_ARGUMENT (and keeps the old plan) if the capacity differs
   * from the table's. dns.listen and dns.workers changes take effect at the
   * next start.
   */
  setPlan(plan: Plan): void {
    checkCapacity(plan, this.statusTable);
    // An unchanged config pass hands back the plan object in force: copying
    // it to the thread again would cost a structured clone of the whole plan
    // every pass for nothing (a restarted thread starts from planRef).
    if (plan === this.planRef) return;
    this.planRef = plan;
    this.post({ type: 'plan', plan });
  }

  /** Fresh counters from the resolver thread. */
  stats(): Promise<DnsServerStats> {
    const worker = this.worker;
    if (worker === null || this.stopping) {
      return Promise.reject(new UrndError('URND_ERR_DNS_WORKER', `dns ${this.address}: no resolver thread running`));
    }
    const id = this.nextStatsId++;
    return new Promise((resolve, reject) => {
      const ms = this.options.statsTimeoutMs ?? 2000;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new UrndError(
            'URND_ERR_DNS_WORKER',
            `dns ${this.address}: the resolver thread did not answer a stats request within ${ms} ms`,
          ),
        );
      }, ms);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ type: 'stats', id });
    });
  }

  /** Closes the sockets and ends the thread. */
  async stop(): Promise<void> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    if (this.sampleTimer !== null) clearInterval(this.sampleTimer);
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.sampleTimer = null;
    this.restartTimer = null;
    this.rejectPending('stopping');
    const worker = this.worker;
    if (worker === null) return;
    this.post({ type: 'stop' });
    // A worker that does not close its sockets in time is terminated (that closes them too).
    const force = setTimeout(() => void worker.terminate(), 5000);
    await this.exited;
    clearTimeout(force);
    this.worker = null;
  }

  private post(message: ToResolverWorker): void {
    this.worker?.postMessage(message);
  }

  private adopt(worker: Worker, exited: Promise<number>): void {
    this.worker = worker;
    worker.on('message', (m: FromResolverWorker) => this.onMessage(m));
    worker.on('error', (err) => this.log(`urnd: resolver thread error: ${err.message}`));
    this.exited = exited.then((code) => this.onExit(worker, code));
  }

  private onMessage(m: FromResolverWorker): void {
    if (m.type === 'stats') {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m.stats);
    } else if (m.type === 'plan-rejected') {
      this.log(`urnd: resolver thread kept its plan, rejected plan ${m.version.slice(0, 12)}: ${m.message}`);
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    if (this.stopping) return;
    this.crashCount += 1;
    this.rejectPending('the resolver thread exited');
    if (this.options.inherited !== undefined) {
      this.log(`urnd: resolver thread on ${this.address} exited (code ${code}); its inherited sockets went with it`);
      this.options.onThreadLost?.(code);
      return;
    }
    const delay = this.options.restartDelayMs ?? 1000;
    this.log(`urnd: resolver thread on ${this.address} exited (code ${code}); restarting in ${delay} ms`);
    this.scheduleRestart(delay);
  }

  /** Starts a new resolver thread on the same address; on failure tries again after the same delay. */
  private scheduleRestart(delay: number): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      const { worker, ready, exited } = spawn(
        this.planRef,
        this.statusTable,
        { host: this.host, port: this.port },
        this.options,
      );
      ready.then(
        () => {
          if (this.stopping) {
            void worker.terminate();
            return;
          }
          this.adopt(worker, exited);
        },
        (err: unknown) => {
          void worker.terminate();
          if (this.stopping) return;
          this.log(
            `urnd: resolver thread restart failed: ${err instanceof Error ? err.message : String(err)}; trying again in ${delay} ms`,
          );
          this.scheduleRestart(delay);
        },
      );
    }, delay);
  }

  private takeSample(): void {
    if (this.sampling || this.worker === null) return;
    // One request a second at most: a busy worker gets no backlog of stats requests.
    this.sampling = true;
    this.stats().then(
      (stats) => {
        this.sampling = false;
        const now = Date.now();
        const prev = this.lastSample;
        const secs = prev === null ? 0 : (now - prev.atMs) / 1000;
        const rate = (cur: number, old: number) => (secs > 0 && cur >= old ? (cur - old) / secs : 0);
        const queries = stats.udpReceived + stats.tcpQueries;
        const prevQueries = prev === null ? 0 : prev.stats.udpReceived + prev.stats.tcpQueries;
        this.lastSample = {
          atMs: now,
          queriesPerSec: rate(queries, prevQueries),
          shedPerSec: rate(stats.udpShed, prev?.stats.udpShed ?? 0),
          kernelDropsPerSec:
            stats.udpKernelDrops === null ? null : rate(stats.udpKernelDrops, prev?.stats.udpKernelDrops ?? 0),
          stats,
        };
      },
      () => {
        this.sampling = false;
      },
    );
  }

  private rejectPending(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new UrndError('URND_ERR_DNS_WORKER', `dns ${this.address}: stats request dropped: ${why}`));
      this.pending.delete(id);
    }
  }
}

/** Starts a resolver thread: `ready` settles with its address or its start error; `exited` with its exit code. */
function spawn(
  plan: Plan,
  statusTable: StatusTable,
  listen: DnsAddress,
  options: DnsFrontOptions,
): { worker: Worker; ready: Promise<ResolverReadyMessage>; exited: Promise<number> } {
  const worker = new Worker(compiledWorker('resolver'));
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const ready = new Promise<ResolverReadyMessage>((resolve, reject) => {
    const ms = options.startTimeoutMs ?? 10_000;
    const timer = setTimeout(
      () =>
        reject(
          new UrndError(
            'URND_ERR_DNS_WORKER',
            `dns ${formatAddress(listen.host, listen.port)}: the resolver thread did not start within ${ms} ms`,
          ),
        ),
      ms,
    );
    const onMessage = (m: FromResolverWorker) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') reject(new UrndError(m.code, m.message));
      else return;
      clearTimeout(timer);
      worker.off('message', onMessage);
    };
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(
        new UrndError(
          'URND_ERR_DNS_WORKER',
          `dns ${formatAddress(listen.host, listen.port)}: the resolver thread failed to start: ${err.message}`,
          { cause: err },
        ),
      );
    };
    worker.on('message', onMessage);
    // Stays registered: a worker 'error' with no listener would throw on the main thread.
    worker.on('error', onError);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new UrndError(
          'URND_ERR_DNS_WORKER',
          `dns ${formatAddress(listen.host, listen.port)}: the resolver thread exited (code ${code}) before it was ready`,
        ),
      );
    });
  });
  const start: ToResolverWorker = {
    type: 'start',
    plan,
    statusTable: statusTable.buffer,
    listen,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
    ...(options.inherited === undefined ? {} : { inherited: options.inherited }),
    ...(options.reusePort === true ? { reusePort: true } : {}),
    ...(options.holdUntilTable === true ? { holdUntilTable: true } : {}),
  };
  worker.postMessage(start);
  return { worker, ready, exited };
}

function checkCapacity(plan: Plan, table: StatusTable): void {
  if (plan.cell.capacity !== table.capacity) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `plan: cell capacity ${plan.cell.capacity} does not match the status table's ${table.capacity}`,
    );
  }
}
