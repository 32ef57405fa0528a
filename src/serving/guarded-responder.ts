/**
 * The server's view of a Responder (src/dns/responder.ts has this shape),
 * and the guard both transports call it through: a responder that throws
 * (its contract says it never does) loses one query, not the thread.
 */
import type { ResponderCounters } from './resolver-messages.js';

/** What the server needs of a Responder. */
export interface DnsResponder {
  /**
   * The answer to `query` in wire form, or null to send nothing. Never
   * throws. `source`: the client's address (IP-based routing without ECS).
   */
  respond(query: Uint8Array, transport: 'udp' | 'tcp', source?: string): Buffer | null;
  readonly counters: ResponderCounters;
}

export class GuardedResponder {
  readonly inner: DnsResponder;
  /** Exceptions caught: a bug if ever above 0. */
  errors = 0;

  constructor(inner: DnsResponder) {
    this.inner = inner;
  }

  /** The answer, or null both when the responder sends nothing and when it threw. */
  answer(query: Uint8Array, transport: 'udp' | 'tcp', source?: string): Buffer | null {
    try {
      return this.inner.respond(query, transport, source);
    } catch {
      this.errors += 1;
      return null;
    }
  }
}
