import { measureTableContention, type TableContention } from './table-stress.js';
import { measureObservationWrite } from './observation-write.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * Lock-free table readers under writer contention, with real worker threads:
 * a reader's full-scan rate with writers parked vs writers storing as fast as
 * they can, in one run, and every value read checked.
 */
export const tableScenario: Scenario = {
  name: 'table',
  description: 'status/observation tables: reader scan rate with writers idle vs busy (real worker threads)',
  estimateSeconds: (quick) => (quick ? 4 : 20),
  async run(ctx): Promise<ScenarioResult> {
    const durationMs = ctx.quick ? 400 : 2000;
    const runs: TableContention[] = [];
    for (const capacity of [16_384, 1_048_576]) {
      ctx.log(`capacity ${capacity}: 1 reader, 1 writer, ${durationMs} ms per phase`);
      runs.push(await measureTableContention({ capacity, writers: 1, readers: 1, durationMs }));
    }
    const writeCapacity = 16_384;
    ctx.log(`observation write: record() over ${writeCapacity} slots, success / failure / flapping`);
    const writes = await measureObservationWrite(writeCapacity, ctx.quick ? 2 : 12, ctx.quick ? 20 : 60);
    const successNs = writes[0]?.nsPerWriteP50 ?? 0;
    const writeRatio = (kind: string) =>
      Math.round(((writes.find((w) => w.kind === kind)?.nsPerWriteP50 ?? 0) / successNs) * 1000) / 1000;
    const small = runs[0] as TableContention;
    const large = runs[1] as TableContention;
    const summary = {
      c16k_busy_over_idle_scan_rate: Math.round(small.busyOverIdle * 1000) / 1000,
      c16k_idle_scans_per_sec: Math.round(small.idleScansPerSec),
      c1m_busy_over_idle_scan_rate: Math.round(large.busyOverIdle * 1000) / 1000,
      c1m_idle_scans_per_sec: Math.round(large.idleScansPerSec * 10) / 10,
      invalid_reads: runs.reduce((t, r) => t + r.invalidReads + r.finalInvalidValues, 0),
      observation_write_ns_p50_success: Math.round(successNs * 100) / 100,
      observation_write_ratio_failure_vs_success: writeRatio('failure'),
      observation_write_ratio_flapping_vs_success: writeRatio('flapping'),
    };
    const markdown = [
      '### Tables: lock-free readers while writers are idle vs busy',
      '',
      'One reader thread scans every status byte (plain loads, as the resolver) and every observation word (Atomics.load, as the aggregator) and checks each value; one writer thread is parked in the idle phase and stores random valid statuses and observation words as fast as it can in the busy phase. One reader and one writer, so both fit the 2 cores.',
      '',
      markdownTable(
        ['capacity', 'idle scans/s', 'busy scans/s', 'busy ÷ idle', 'writes/s (busy)', 'scans', 'invalid values read'],
        runs.map((r) => [
          r.capacity,
          fmt(r.idleScansPerSec, 1),
          fmt(r.busyScansPerSec, 1),
          fmt(r.busyOverIdle, 3),
          fmt(r.writesPerSec),
          r.scans,
          r.invalidReads + r.finalInvalidValues,
        ]),
      ),
      '',
      `Observation write (tinybench): one sample is a pass of \`ObservationTable.record\` over all ${writeCapacity.toLocaleString('en-US')} slots of one vantage, the checker threads' write path; "failure" and "success" repeat one result, "flapping" alternates it every pass so every run count restarts. The three take turns in each of ${ctx.quick ? 2 : 12} rounds, the first rotating; medians over rounds. Goal: the same work whatever the outcome (ratio 0.95–1.05).`,
      '',
      markdownTable(
        ['outcome', 'ns/write p50', 'ns/write p99', 'samples', 'p50 ÷ success'],
        writes.map((w) => [
          w.kind,
          fmt(w.nsPerWriteP50, 2),
          fmt(w.nsPerWriteP99, 2),
          w.samples,
          fmt(w.nsPerWriteP50 / successNs, 3),
        ]),
      ),
    ].join('\n');
    return { summary, markdown, details: { runs, writes } };
  },
};
