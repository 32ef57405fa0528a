import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { TYPE, buildQuery, dnsCell } from './support/dns.js';

/**
 * The fast path's only allocation, for a name the plan has, is the reply
 * Buffer: heap growth per call equals that of a bare `Buffer.allocUnsafe`
 * of the same size. Measured in-process over windows in which no garbage
 * collection ran (v8.GCProfiler says; a window with one is measured again).
 * The slow path is measured the same way and must show its allocations, so
 * the method is known to see them.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Heap growth per call of `fn`, the least over several GC-free windows:
 * anything else allocating meanwhile (the test runner's own messages) only
 * adds, so the least is the closest to `fn` alone.
 */
function bytesPerCall(fn: () => number, calls = 5_000, windows = 5): number {
  for (let i = 0; i < calls; i++) fn();
  let least = Infinity;
  let measured = 0;
  for (let attempt = 0; attempt < 30 && measured < windows; attempt++) {
    gc();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = process.memoryUsage().heapUsed;
    let sink = 0;
    for (let i = 0; i < calls; i++) sink += fn();
    const after = process.memoryUsage().heapUsed;
    if (profiler.stop().statistics.length > 0 || sink === 0) continue;
    least = Math.min(least, (after - before) / calls);
    measured++;
  }
  if (measured === 0) throw new Error('every measuring window had a garbage collection');
  return least;
}

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
