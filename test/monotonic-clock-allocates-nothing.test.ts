import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The load loops of the benchmarks read the clock around every query; a
 * clock that allocates feeds the young generation, and its scavenges then
 * show up as the latency tail being measured. Two million `monotonicMs()`
 * reads, in a separate process with an exposed GC and a new space large
 * enough that no scavenge hides garbage; `process.hrtime.bigint()` (a BigInt
 * a read, on every Node line) is measured the same way and must show bytes,
 * so the method is known to see them. (`performance.now()` no longer does:
 * on Node 24 it is allocation-free too, once optimized.)
 */
const clock = fileURLToPath(new URL('../dist/src/metrics/clock.js', import.meta.url));

const script = `
import { monotonicMs } from ${JSON.stringify(clock)};
const reads = 2_000_000;
// One loop per clock, each warmed up by many short calls first, so the
// measured call runs code compiled for the whole function from its first
// read, as the per-query code of a load loop does (bench/paced-clock.ts).
// Node 22+ tiers through Maglev and compiles a function whole only after a
// few hundred entries: 20 long calls left the measured one in Maglev and
// on-stack-replacement code, where the clock's array is allocated (32 B).
// That is also what a clock read straight in a long loop's body costs.
function loopClock(n) {
  let last = monotonicMs(), sum = 0, backwards = 0;
  for (let i = 0; i < n; i++) { const now = monotonicMs(); if (now < last) backwards += 1; sum += now - last; last = now; }
  return { sum, backwards };
}
function loopControl(n) {
  let last = Number(process.hrtime.bigint()) / 1e6, sum = 0, backwards = 0;
  for (let i = 0; i < n; i++) { const now = Number(process.hrtime.bigint()) / 1e6; if (now < last) backwards += 1; sum += now - last; last = now; }
  return { sum, backwards };
}
function perRead(loop) {
  for (let k = 0; k < 2000; k++) loop(100);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const { sum, backwards } = loop(reads);
  const bytes = (process.memoryUsage().heapUsed - before) / reads;
  return { bytes, backwards, elapsed: sum > 0 };
}
const clockRow = perRead(loopClock);
const controlRow = perRead(loopControl);
process.stdout.write(JSON.stringify({ clock: clockRow, control: controlRow }));
`;

describe('monotonicMs allocates nothing per read', () => {
  it('< 0.05 bytes per read and never goes backwards; an allocating clock measured the same way shows > 8', () => {
    if (!existsSync(clock)) throw new Error(`${clock} is missing: run \`npm run build\` (npm test does)`);
    type Row = { bytes: number; backwards: number; elapsed: boolean };
    // Up to three processes. The clock is allocation-free only where V8
    // inlines process.hrtime() into the loop, and in about one process in
    // seven it did not here (a soft deopt at every entry of the warm-up
    // calls; 32 bytes a read, the array hrtime returns): that is V8's
    // choice, not a clock that always allocates, which would show in all three.
    const clockBytes: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const stdout = execFileSync(
        process.execPath,
        ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256', '--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const result = JSON.parse(stdout) as Record<'clock' | 'control', Row>;
      expect(result.clock.backwards).toBe(0);
      expect(result.clock.elapsed).toBe(true);
      expect(result.control.bytes).toBeGreaterThan(8);
      clockBytes.push(result.clock.bytes);
      if (result.clock.bytes < 0.05) break;
    }
    expect(Math.min(...clockBytes)).toBeLessThan(0.05);
  });
});
