import v8 from 'node:v8';
import vm from 'node:vm';

// In-process heap measuring needs a GC on demand; vitest does not start workers with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Heap growth per call of `fn`, the least over several windows in which no
 * garbage collection ran (v8.GCProfiler says; a window with one is measured
 * again): anything else allocating meanwhile (the test runner's own
 * messages) only adds, so the least is the closest to `fn` alone. `fn`
 * returns a number that is summed, so its work cannot be dropped; a sum of 0
 * voids the window.
 */
export function bytesPerCall(fn: () => number, calls = 5_000, windows = 5): number {
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
