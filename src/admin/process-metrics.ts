import { monitorEventLoopDelay, PerformanceObserver, constants, type IntervalHistogram } from 'node:perf_hooks';
import { readdirSync } from 'node:fs';
import type { PrometheusWriter } from '../metrics/prometheus.js';

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Upper bounds of the GC pause histogram, seconds (node exporters' usual ones). */
const GC_BOUNDS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

/**
 * The process metrics node exporters usually provide (RSS, heap, CPU, open
 * fds, event-loop lag of the main thread, GC pauses by kind), under their
 * usual names (`process_*`, `nodejs_*`). The event-loop lag is the
 * supervisor's own loop: the thread the admin listener runs on.
 */
export class ProcessMetrics {
  private readonly loop: IntervalHistogram;
  private readonly gc: PerformanceObserver;
  /** Per GC kind: cumulative counts per GC_BOUNDS bucket, then count, then sum (s). */
  private readonly gcCounts = new Map<string, { buckets: number[]; count: number; sum: number }>();
  private readonly startSec = Math.round((Date.now() - performance.now()) / 1000);

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind =
          GC_KINDS[((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ?? -1] ?? 'other';
        let c = this.gcCounts.get(kind);
        if (c === undefined) {
          c = { buckets: GC_BOUNDS.map(() => 0), count: 0, sum: 0 };
          this.gcCounts.set(kind, c);
        }
        const sec = e.duration / 1000;
        for (let i = 0; i < GC_BOUNDS.length; i++)
          if (sec <= (GC_BOUNDS[i] as number)) c.buckets[i] = (c.buckets[i] as number) + 1;
        c.count += 1;
        c.sum += sec;
      }
    });
    this.gc.observe({ entryTypes: ['gc'] });
  }

  write(w: PrometheusWriter): void {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    w.single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss);
    w.single('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', cpu.user / 1e6);
    w.single('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', cpu.system / 1e6);
    w.single(
      'process_cpu_seconds_total',
      'counter',
      'Total user and system CPU time spent in seconds.',
      (cpu.user + cpu.system) / 1e6,
    );
    w.single(
      'process_start_time_seconds',
      'gauge',
      'Start time of the process since unix epoch in seconds.',
      this.startSec,
    );
    const fds = openFds();
    if (fds !== null) w.single('process_open_fds', 'gauge', 'Number of open file descriptors.', fds);
    w.single('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', mem.heapTotal);
    w.single('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', mem.heapUsed);
    w.single('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', mem.external);
    const lag = this.loop;
    w.single(
      'nodejs_eventloop_lag_p50_seconds',
      'gauge',
      'Main thread event loop lag, median since the last scrape, seconds.',
      lag.count > 0 ? lag.percentile(50) / 1e9 : 0,
    );
    w.single(
      'nodejs_eventloop_lag_p99_seconds',
      'gauge',
      'Main thread event loop lag, 99th percentile since the last scrape, seconds.',
      lag.count > 0 ? lag.percentile(99) / 1e9 : 0,
    );
    w.single(
      'nodejs_eventloop_lag_max_seconds',
      'gauge',
      'Main thread event loop lag, maximum since the last scrape, seconds.',
      lag.count > 0 ? lag.max / 1e9 : 0,
    );
    lag.reset();
    w.family(
      'nodejs_gc_duration_seconds',
      'histogram',
      'Garbage collection pauses of the main thread by kind, seconds.',
    );
    for (const [kind, c] of this.gcCounts) {
      for (let i = 0; i < GC_BOUNDS.length; i++)
        w.sample('nodejs_gc_duration_seconds_bucket', c.buckets[i] as number, { kind, le: String(GC_BOUNDS[i]) });
      w.sample('nodejs_gc_duration_seconds_bucket', c.count, { kind, le: '+Inf' });
      w.sample('nodejs_gc_duration_seconds_sum', c.sum, { kind });
      w.sample('nodejs_gc_duration_seconds_count', c.count, { kind });
    }
  }

  stop(): void {
    this.loop.disable();
    this.gc.disconnect();
  }
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
