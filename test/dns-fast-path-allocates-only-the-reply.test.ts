import { describe, expect, it } from 'vitest';
import { TYPE, buildQuery, dnsCell } from './support/dns.js';
import { bytesPerCall } from './support/heap.js';

/**
 * The fast path's only allocation, for a name the plan has, is the reply
 * Buffer: heap growth per call equals that of a bare `Buffer.allocUnsafe`
 * of the same size. Measured in-process over windows in which no garbage
 * collection ran (v8.GCProfiler says; a window with one is measured again).
 * The slow path is measured the same way and must show its allocations, so
 * the method is known to see them.
 */

describe('the fast path allocates only the reply', () => {
  it('heap bytes per call: fast path = a bare reply-sized Buffer; the slow path shows more', () => {
    const { responder } = dnsCell();
    const query = buildQuery('WwW.DeMo.test', TYPE.A, { edns: 1232 });
    const size = (responder.respond(query, 'udp') as Buffer).length;
    const control = bytesPerCall(() => Buffer.allocUnsafe(size).length);
    const fast = bytesPerCall(() => (responder.respond(query, 'udp') as Buffer).length);
    const slow = bytesPerCall(() => (responder.respondSlow(query, 'udp') as Buffer).length, 1_000);
    expect(responder.counters.errors).toBe(0);
    // Less than the smallest heap object (16 bytes) above the control: no per-query object, no string.
    expect(fast, JSON.stringify({ control, fast, slow })).toBeLessThan(control + 12);
    expect(slow).toBeGreaterThan(control + 200);
  });
});
