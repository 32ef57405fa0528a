/** Latency reporting: percentiles, .hgrm parsing, SVG plots. See README.md here. */
export { REPORTED_PERCENTILES, type ReportedPercentile, type LatencySummary } from './percentiles.js';
export { parseHgrm, valueAt, summarize, type PercentileDistribution, type PercentilePoint } from './hgrm.js';
export { percentilePlot, linePlot, type Series } from './svg.js';
export {
  SharedHistogram,
  SHARED_HISTOGRAM_BUCKETS,
  sharedHistogramBucket,
  sharedHistogramBucketValue,
  readCounts,
  subtractCounts,
  addCounts,
  countsTotal,
  countsPercentile,
} from './shared-histogram.js';
export { monotonicMs } from './clock.js';
