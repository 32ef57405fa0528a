export {
  Aggregator,
  DEFAULT_HEALTHY_FRACTION,
  type AggregatorPlan,
  type AggregatorOptions,
  type TickStats,
} from './aggregator.js';
