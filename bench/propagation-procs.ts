import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Design, FromChild, ToChild } from './propagation-messages.js';

/** The entry file of a design's resolver process (compiled, next to this one under dist/bench/). */
export function resolverEntry(design: Design): string {
  const file = design === 'engine' ? './workers/propagation-resolver.js' : './workers/propagation-baseline-resolver.js';
  return fileURLToPath(new URL(file, import.meta.url));
}

/**
 * One resolver child process, seen from the scenario: sends ToChild
 * messages, and hands each reply to whoever waits for it by (type, id) —
 * a reply that comes before anyone waits is kept until someone does.
 * Every wait has a deadline: a child that dies or hangs gives `null`.
 */
export class ResolverProcess {
  readonly design: Design;
  readonly index: number;
  readonly errors: string[] = [];
  port = 0;
  private readonly proc: ChildProcess;
  private readonly kept = new Map<string, FromChild>();
  private readonly waiting = new Map<string, (m: FromChild | null) => void>();
  private exited = false;

  constructor(design: Design, index: number) {
    this.design = design;
    this.index = index;
    this.proc = fork(resolverEntry(design), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [],
    });
    this.proc.on('message', (raw) => {
      const m = raw as FromChild;
      if (m.type === 'error') {
        this.errors.push(m.message);
        return;
      }
      const key = keyOf(m.type, 'id' in m ? m.id : 0);
      const w = this.waiting.get(key);
      if (w !== undefined) {
        this.waiting.delete(key);
        w(m);
      } else this.kept.set(key, m);
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      if (code !== 0) this.errors.push(`exited with ${signal ?? String(code)}`);
      for (const w of this.waiting.values()) w(null);
      this.waiting.clear();
    });
  }

  get name(): string {
    return `${this.design} resolver ${this.index + 1} (pid ${this.proc.pid ?? '?'})`;
  }

  send(m: ToChild): void {
    if (!this.exited && this.proc.connected) this.proc.send(m);
  }

  /** The reply of `type` with `id` (0 for `ready`), or null after `timeoutMs` or if the child is gone. */
  wait<T extends FromChild['type']>(
    type: T,
    id: number,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { type: T }> | null> {
    const key = keyOf(type, id);
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      this.kept.delete(key);
      return Promise.resolve(kept as Extract<FromChild, { type: T }>);
    }
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m as Extract<FromChild, { type: T }> | null);
      });
    });
  }

  /** Sends `m` and waits for its reply of `type`. */
  call<T extends FromChild['type']>(
    m: ToChild & { id: number },
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { type: T }> | null> {
    const p = this.wait(type, m.id, timeoutMs);
    this.send(m);
    return p;
  }

  /** Asks the child to stop; kills it (this process's own child, by its handle) if it has not exited after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

function keyOf(type: string, id: number): string {
  return `${type}:${id}`;
}
