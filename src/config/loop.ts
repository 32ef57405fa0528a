import { Worker } from 'node:worker_threads';
import { ConfigError, UrndError } from '../errors.js';
import { compiledWorker } from '../worker-path.js';
import { decodePlan } from './compile.js';
import { resolveFrameKey, sameKey } from './frame-key.js';
import type { PassReply, PassRequest } from './messages.js';
import type { Plan } from './plan.js';

/** A plan and the frame key that came with it (both from the same pass). */
export interface AppliedConfig {
  readonly plan: Plan;
  /** HMAC-SHA256 key of the cell's frames; undefined: CRC32C only. */
  readonly key: Uint8Array | undefined;
}

/** Called with every good pass, changed or not, in order; awaited before the next pass. */
export type ApplyHandler = (next: AppliedConfig, prev: AppliedConfig, changed: boolean) => void | Promise<void>;

export interface ConfigLoopOptions {
  /** The command, for log lines: `urnd <role>: config rejected, …`. */
  readonly role: string;
  /** File path or http(s) URL of the document. */
  readonly source: string;
  /** Config interval override, ms (`--config-interval`); default: the first document's `configInterval`. */
  readonly intervalMs?: number;
  /** Per-fetch time limit for a URL, ms. Default: the interval. */
  readonly fetchTimeoutMs?: number;
  readonly log: (line: string) => void;
  /** Called on every rejected pass (logged or not); the last good plan and key stay. */
  readonly onReject?: (error: UrndError) => void;
}

export interface ConfigLoopStats {
  readonly intervalMs: number;
  readonly passes: number;
  readonly applied: number;
  /** Passes rejected: unreadable, truncated, invalid, a cell change, or a key that cannot be read. */
  readonly rejected: number;
  /** Version of the last good plan. */
  readonly version: string;
  readonly lastGoodAtMs: number;
  readonly lastError: string | null;
}

/**
 * The config loop of one node (every role runs one): every interval, fetch
 * the WHOLE document, validate and compile it, read the frame key, and apply
 * the result in full — even when unchanged, so a missed or corrupted copy
 * heals on the next pass. A pass that can't be read, parsed or validated,
 * that changes what a running cell can't change (its name or capacity), or
 * whose key can't be read is rejected whole; the node keeps its last good
 * plan and key. There is no other mode and no backoff.
 *
 * Fetching, parsing, validating and compiling run on a worker thread of
 * their own, so a large document never delays a tick, a probe or a DNS
 * answer on this thread; the plan comes back as `encodePlan` bytes and is
 * decoded here only when its version is not the one this loop holds (the
 * worker compares: an unchanged pass sends the version alone). The same
 * plan object is then handed to `onApply` again, so a node's reload of an
 * unchanged plan is a comparison by identity, not a walk of every check.
 *
 * A rejection is logged once while it stays the same —
 * `urnd <role>: config rejected, keeping <version>: <why>` with the first
 * problems and their count — and again when it changes or after a good pass.
 *
 * The interval is the first document's `configInterval` (or the
 * `--config-interval` override); a changed `configInterval` applies at the
 * next start.
 */
export class ConfigLoop {
  readonly source: string;
  readonly intervalMs: number;
  private readonly options: ConfigLoopOptions;
  private worker: Worker;
  private stopping = false;
  private readonly fetchTimeoutMs: number;
  private current: AppliedConfig | null;
  private handler: ApplyHandler | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private waiting = new Map<number, (reply: PassReply) => void>();
  private nextId = 1;
  private lastLoggedRejection: string | null = null;
  private counters = { passes: 0, applied: 0, rejected: 0, lastGoodAtMs: 0, lastError: null as string | null };

  private constructor(options: ConfigLoopOptions, worker: Worker, first: AppliedConfig) {
    this.options = options;
    this.source = options.source;
    this.worker = worker;
    this.current = first;
    this.intervalMs = options.intervalMs ?? first.plan.configIntervalMs;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? this.intervalMs;
    this.listen(worker);
  }

  private listen(worker: Worker): void {
    worker.on('message', (reply: PassReply) => {
      const done = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      done?.(reply);
    });
    // A worker that dies (out of memory on a monstrous document) fails the pass under way; the next pass starts a new one.
    worker.on('error', () => {});
    worker.on('exit', () => {
      for (const done of this.waiting.values())
        done({
          id: 0,
          ok: false,
          code: 'URND_ERR_CONFIG_READ',
          issues: [{ path: '', message: 'the config worker stopped during the pass' }],
          count: 1,
        });
      this.waiting.clear();
      if (this.stopping) return;
      this.worker = new Worker(compiledWorker('config'));
      this.worker.unref();
      this.listen(this.worker);
    });
    worker.unref();
  }

  /**
   * Loads the first document and key — which must be good: there is nothing
   * to fall back on yet (throws ConfigError) — and starts the loop. One load:
   * the interval comes from that same document.
   */
  static async start(options: ConfigLoopOptions): Promise<ConfigLoop> {
    const worker = new Worker(compiledWorker('config'));
    try {
      const fetchTimeoutMs = options.fetchTimeoutMs ?? options.intervalMs ?? 10_000;
      const reply = await ask(worker, { id: 0, source: options.source, fetchTimeoutMs, appliedVersion: '' });
      if (!reply.ok) throw rejection(reply);
      if (reply.bytes === null) throw new UrndError('URND_ERR_CONFIG_READ', 'the config worker sent no plan');
      const plan = received(reply.bytes, reply.version);
      const key = await resolveFrameKey(plan.frames, process.env, options.source);
      const loop = new ConfigLoop(options, worker, { plan, key });
      loop.counters.passes = 1;
      loop.counters.applied = 1;
      loop.counters.lastGoodAtMs = Date.now();
      loop.timer = setInterval(() => {
        // One pass at a time: a slow fetch skips a beat rather than piling up.
        if (loop.running === null) loop.running = loop.pass().finally(() => (loop.running = null));
      }, loop.intervalMs);
      loop.timer.unref();
      return loop;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /** The last good plan and key. */
  get applied(): AppliedConfig {
    if (this.current === null) throw new UrndError('URND_ERR_ARGUMENT', 'ConfigLoop: stopped');
    return this.current;
  }

  get plan(): Plan {
    return this.applied.plan;
  }

  get key(): Uint8Array | undefined {
    return this.applied.key;
  }

  /** Sets what every later pass calls (one handler; the first plan is `applied`). */
  onApply(handler: ApplyHandler): void {
    this.handler = handler;
  }

  stats(): ConfigLoopStats {
    return { intervalMs: this.intervalMs, ...this.counters, version: this.current?.plan.version ?? '' };
  }

  /** One fetch-validate-apply pass; exposed so tests and tools can force one. */
  async pass(): Promise<void> {
    const prev = this.applied;
    this.counters.passes += 1;
    let next: AppliedConfig;
    try {
      const reply = await this.ask();
      if (!reply.ok) throw rejection(reply);
      // An unchanged document (the usual pass) comes back as its version alone: no bytes, no decode, and the same
      // plan object, which every node compares by identity (planDiff) in O(1).
      const plan = reply.bytes === null ? prev.plan : received(reply.bytes, reply.version);
      if (plan.cell.capacity !== prev.plan.cell.capacity) {
        throw new ConfigError('URND_ERR_CONFIG_INVALID', [
          {
            path: 'cell.capacity',
            message: `${plan.cell.capacity} differs from the running cell's ${prev.plan.cell.capacity}: a capacity change needs a restart`,
          },
        ]);
      }
      if (plan.cell.name !== prev.plan.cell.name) {
        throw new ConfigError('URND_ERR_CONFIG_INVALID', [
          {
            path: 'cell.name',
            message: `"${plan.cell.name}" differs from the running cell's "${prev.plan.cell.name}": a cell is renamed by a restart`,
          },
        ]);
      }
      next = { plan, key: await resolveFrameKey(plan.frames, process.env, this.source) };
    } catch (err) {
      this.reject(
        err instanceof UrndError ? err : new UrndError('URND_ERR_CONFIG_READ', (err as Error).message, { cause: err }),
      );
      return;
    }
    this.current = next;
    this.counters.applied += 1;
    this.counters.lastGoodAtMs = Date.now();
    this.counters.lastError = null;
    this.lastLoggedRejection = null;
    const changed = next.plan !== prev.plan || !sameKey(prev.key, next.key);
    if (changed)
      this.options.log(
        `urnd ${this.options.role}: config ${short(prev.plan.version)} → ${short(next.plan.version)} applied`,
      );
    const handler = this.handler;
    if (handler === null) return;
    try {
      await handler(next, prev, changed);
    } catch (err) {
      // A compiled plan fits the running node (capacity and cell changes are refused above), so this is a bug if ever seen.
      this.options.log(
        `urnd ${this.options.role}: applying config ${short(next.plan.version)} failed: ${(err as Error).message}`,
      );
    }
  }

  /** A pass now (SIGHUP), after the one under way if any: passes never overlap, so they apply in order. */
  async passNow(): Promise<void> {
    while (this.running !== null) await this.running;
    this.running = this.pass().finally(() => (this.running = null));
    await this.running;
  }

  /** Stops the loop; waits for a pass under way, then ends the worker. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.running !== null) await this.running;
    this.stopping = true;
    await this.worker.terminate();
  }

  private ask(): Promise<PassReply> {
    const id = this.nextId++;
    return new Promise<PassReply>((resolve) => {
      this.waiting.set(id, resolve);
      // A pass under way keeps the process alive (an awaited pass() would otherwise end it); an idle worker does not.
      this.worker.ref();
      this.worker.postMessage({
        id,
        source: this.source,
        fetchTimeoutMs: this.fetchTimeoutMs,
        appliedVersion: this.current?.plan.version ?? '',
      } satisfies PassRequest);
    });
  }

  private reject(e: UrndError): void {
    this.counters.rejected += 1;
    this.counters.lastError = e.message;
    this.options.onReject?.(e);
    // The same rejection every pass (a bad document left in place) is logged once, not every interval.
    if (e.message === this.lastLoggedRejection) return;
    this.lastLoggedRejection = e.message;
    const keeping = this.current === null ? 'nothing yet' : short(this.current.plan.version);
    this.options.log(`urnd ${this.options.role}: config rejected, keeping ${keeping}: ${e.message}`);
  }
}

/** The first reply of a fresh worker (before the loop listens for replies). */
function ask(worker: Worker, req: PassRequest): Promise<PassReply> {
  return new Promise<PassReply>((resolve, reject) => {
    const onExit = (code: number): void =>
      reject(new UrndError('URND_ERR_CONFIG_READ', `the config worker stopped (exit ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (reply: PassReply) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(reply);
    });
    worker.postMessage(req);
  });
}

/**
 * The plan from a pass's bytes, its version hashed here from the bytes this
 * thread decodes, not taken from the worker: a copy damaged on the way is
 * rejected, and the next pass (asking with the version held) sends it again.
 * Runs only when the plan changed.
 */
function received(bytes: Uint8Array, version: string): Plan {
  const plan = decodePlan(bytes);
  if (plan.version !== version)
    throw new UrndError('URND_ERR_CONFIG_READ', `the plan ${short(version)} arrived damaged from the config worker`);
  return plan;
}

function rejection(reply: Extract<PassReply, { ok: false }>): ConfigError {
  return new ConfigError(reply.code, reply.issues, { count: reply.count });
}

/** The first 12 hex digits of a plan version. */
export function short(version: string): string {
  return version.slice(0, 12);
}
