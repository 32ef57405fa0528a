/**
 * A monotonic clock in milliseconds that allocates nothing once optimized.
 *
 * Node 20's `performance.now()` builds on `process.hrtime()` behind a
 * brand check and returns a boxed double: about 16 bytes per read. A load
 * loop that reads the clock a few times per query at 100,000+ queries/s
 * fills the young generation every few hundred ms, and those scavenges,
 * not the code under test, make its p99.9. Called directly, `process.hrtime()`
 * inlines into the caller, its two-element array never escapes, and the
 * optimizer drops it (see test/monotonic-clock-allocates-nothing.test.ts).
 *
 * It only stays allocation-free where it is inlined, `process.hrtime()`
 * (244 bytes of bytecode) with it: V8 inlines at most 920 bytes into one
 * function, and a loop that already inlines a histogram's recording can run
 * out. Read it from a small function that returns an integer
 * (bench/paced-clock.ts).
 *
 * Same origin as `process.hrtime()` (an arbitrary fixed point in the past),
 * so only differences between readings mean anything.
 */
export function monotonicMs(): number {
  const hr = process.hrtime();
  return hr[0] * 1e3 + hr[1] / 1e6;
}
