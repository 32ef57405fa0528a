import { decodePlan } from '../src/config/compile.js';
import type { Plan } from '../src/config/plan.js';
import type { ChildStats, FromChild, ToChild } from './propagation-messages.js';
import { wallNow } from './propagation-plan.js';

/**
 * What a resolver process of either design does, behind one IPC loop: listen
 * for health data on TCP, keep its own answers, arm watches, answer samples.
 */
export interface ResolverSide {
  /** Starts the TCP listener on 127.0.0.1; resolves with its port. */
  listen(): Promise<number>;
  /** Arms a watch (replacing any); calls the `done` callback given at construction when it is met. */
  watch(id: number, failed: ArrayLike<number>, sets: ArrayLike<number>): void;
  /** Sorted answer indices each set answers now. */
  sample(sets: readonly number[]): number[][];
  stats(): ChildStats;
  close(): Promise<void>;
}

export type MakeSide = (plan: Plan, tickMs: number, done: (id: number, at: number) => void) => ResolverSide;

/** The child's IPC loop: wiring only; the design's logic is in `make`. */
export function runResolverChild(make: MakeSide): void {
  const send = (m: FromChild) => process.send?.(m);
  let side: ResolverSide | null = null;
  process.on('message', (raw) => {
    const m = raw as ToChild;
    try {
      switch (m.type) {
        case 'init': {
          const plan = decodePlan(m.plan);
          side = make(plan, m.tickMs, (id, at) => send({ type: 'done', id, at }));
          side.listen().then(
            (port) => send({ type: 'ready', port }),
            (err: unknown) => send({ type: 'error', message: String((err as Error)?.message ?? err) }),
          );
          return;
        }
        case 'ping':
          send({ type: 'pong', id: m.id, at: wallNow() });
          return;
        case 'watch':
          side?.watch(m.id, m.failed, m.sets);
          send({ type: 'watching', id: m.id });
          return;
        case 'sample':
          send({ type: 'sample', id: m.id, answers: side?.sample(m.sets) ?? [] });
          return;
        case 'stats':
          if (side !== null) send({ type: 'stats', id: m.id, stats: side.stats() });
          return;
        case 'stop':
          void (side?.close() ?? Promise.resolve()).finally(() => process.exit(0));
          return;
      }
    } catch (err) {
      send({ type: 'error', message: String((err as Error)?.stack ?? err) });
    }
  });
  // The parent going away ends the child: nothing here outlives the run.
  process.on('disconnect', () => process.exit(0));
}
