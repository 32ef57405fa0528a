/**
 * A monotonic clock in milliseconds that allocates nothing once optimized.
 *
 * `performance.now()` returns a boxed double on Node 20 and 22 (about 16
 * bytes per read; Node 24's is allocation-free once optimized) and
 * `process.hrtime.bigint()` a BigInt on all of them (56 bytes). A load
 * loop that reads the clock a few times per query at 100,000+ queries/s
 * fills the young generation every few hundred ms, and those scavenges,
 * not the code under test, make its p99.9. Called directly, `process.hrtime()`
 * inlines into the caller, its two-element array never escapes, and the
 * optimizer drops it (see test/monotonic-clock-allocates-nothing.test.ts).
 *
 * It only stays allocation-free where it is inlined, `process.hrtime()`
 * (244 bytes of bytecode) with it, into code TurboFan compiled for a whole
 * function: V8 inlines at most 920 bytes into one function, and a loop that
 * already inlines a histogram's recording can run out; and a long loop's
 * body runs on-stack-replacement code, which keeps the array (32 bytes a
 * read on Node 20, 22 and 24), as does Maglev, the tier Node 22+ runs a
 * function in for its first few hundred entries. Read it from a small
 * function called per query that returns an integer (bench/paced-clock.ts).
 *
 * Same origin as `process.hrtime()` (an arbitrary fixed point in the past),
 * so only differences between readings mean anything.
 */
export function monotonicMs(): number {
  const hr = process.hrtime();
  return hr[0] * 1e3 + hr[1] / 1e6;
}
