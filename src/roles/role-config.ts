import { ConfigLoop } from '../config/loop.js';
import { compileConfig } from '../config/compile.js';
import { loadConfig } from '../config/load.js';
import type { Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { resolveFrameKey, sameKey } from './frame-key.js';

/** A plan and the frame key that came with it (both from the same pass). */
export interface AppliedConfig {
  readonly plan: Plan;
  /** HMAC-SHA256 key of the cell's frames; undefined: CRC32C only. */
  readonly key: Uint8Array | undefined;
}

/** Called with every good pass, changed or not, in order; awaited before the next pass. */
export type ApplyHandler = (next: AppliedConfig, prev: AppliedConfig, changed: boolean) => void | Promise<void>;

export interface RoleConfigOptions {
  /** The command, for log lines: `urnd <role>: config rejected, …`. */
  readonly role: string;
  /** File path or http(s) URL of the document. */
  readonly source: string;
  /** Config interval override, ms (`--config-interval`); default: the document's `configInterval`. */
  readonly intervalMs?: number;
  readonly log: (line: string) => void;
}

export interface RoleConfigStats {
  readonly intervalMs: number;
  readonly passes: number;
  readonly applied: number;
  /** Passes rejected: unreadable, truncated, invalid, a cell change, or a key that cannot be read. */
  readonly rejected: number;
  readonly version: string;
  readonly lastError: string | null;
}

/**
 * The config loop of one node (every role runs one): a ConfigLoop fetching
 * the whole document every interval and re-applying it even when unchanged,
 * plus the frame key, read again on every pass. A pass that cannot be read,
 * parsed, validated, or whose key cannot be read is rejected whole and
 * logged — `urnd <role>: config rejected, keeping <version>: <why>` — and the
 * node keeps its last good plan and key; the next good pass heals.
 *
 * The interval is the document's `configInterval` as read at start (or the
 * `--config-interval` override); a changed `configInterval` applies at the
 * next start.
 */
export class RoleConfig {
  readonly intervalMs: number;
  private readonly loop: ConfigLoop;
  private readonly options: RoleConfigOptions;
  private current: AppliedConfig | null = null;
  private handler: ApplyHandler | null = null;
  private keyRejected = 0;
  private lastKeyError: string | null = null;

  private constructor(options: RoleConfigOptions, intervalMs: number) {
    this.options = options;
    this.intervalMs = intervalMs;
    this.loop = new ConfigLoop(options.source, {
      intervalMs,
      onApply: (plan) => this.onPass(plan),
      onReject: (err) => this.reject(err.message),
    });
  }

  /**
   * Loads the first document and key — which must be good: there is nothing
   * to fall back on yet (throws ConfigError) — and starts the loop.
   */
  static async start(options: RoleConfigOptions): Promise<RoleConfig> {
    let intervalMs = options.intervalMs;
    if (intervalMs === undefined) intervalMs = compileConfig(await loadConfig(options.source)).configIntervalMs;
    const rc = new RoleConfig(options, intervalMs);
    await rc.loop.start();
    return rc;
  }

  /** The last good plan and key. */
  get applied(): AppliedConfig {
    if (this.current === null) throw new UrndError('URND_ERR_ARGUMENT', 'RoleConfig: not started');
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

  stats(): RoleConfigStats {
    const s = this.loop.stats();
    return {
      intervalMs: this.intervalMs,
      passes: s.passes,
      applied: s.applied - this.keyRejected,
      rejected: s.rejected + this.keyRejected,
      version: this.current?.plan.version ?? '',
      lastError: s.lastError ?? this.lastKeyError,
    };
  }

  /** Forces one pass now (SIGHUP, tests, tools), after any pass under way. */
  pass(): Promise<void> {
    return this.loop.passNow();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async onPass(plan: Plan): Promise<void> {
    let key: Uint8Array | undefined;
    try {
      key = await resolveFrameKey(plan.frames);
    } catch (err) {
      // The first pass (inside start) has no last good config: fail the start.
      if (this.current === null) throw err;
      this.keyRejected += 1;
      this.lastKeyError = (err as Error).message;
      this.reject(this.lastKeyError);
      return;
    }
    this.lastKeyError = null;
    const prev = this.current;
    const next: AppliedConfig = { plan, key };
    this.current = next;
    if (prev === null) return;
    // Compared with what this node applied (the loop's own idea of "changed" counts a pass whose key was rejected).
    const changed = plan.version !== prev.plan.version || !sameKey(prev.key, key);
    if (changed) this.options.log(`urnd ${this.options.role}: config ${short(prev.plan.version)} → ${short(plan.version)} applied`);
    const handler = this.handler;
    if (handler === null) return;
    try {
      await handler(next, prev, changed);
    } catch (err) {
      // A compiled plan fits the running node (ConfigLoop refuses capacity and cell changes), so this is a bug if ever seen.
      this.options.log(`urnd ${this.options.role}: applying config ${short(plan.version)} failed: ${(err as Error).message}`);
    }
  }

  private reject(message: string): void {
    const keeping = this.current === null ? 'nothing yet' : short(this.current.plan.version);
    this.options.log(`urnd ${this.options.role}: config rejected, keeping ${keeping}: ${message}`);
  }
}

/** The first 12 hex digits of a plan version. */
export function short(version: string): string {
  return version.slice(0, 12);
}
