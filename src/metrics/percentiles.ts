/**
 * The percentiles every urnd latency report shows, as one literal type
 * shared by reports, summaries and tests. Never a mean alone.
 */
export const REPORTED_PERCENTILES = [50, 99, 99.9] as const;
export type ReportedPercentile = (typeof REPORTED_PERCENTILES)[number];

/** Latency at the reported percentiles, plus max and the sample count. */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}
