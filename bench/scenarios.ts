import type { Scenario } from './harness.js';
import { resolveScenario } from './resolve.bench.js';
import { tableScenario } from './table.bench.js';
import { aggregateScenario } from './aggregate.bench.js';
import { probesScenario } from './probes.bench.js';
import { massFailureScenario } from './mass-failure.bench.js';
import { snapshotScenario } from './snapshot.bench.js';

/** Every scenario `npm run bench` runs, in order. */
export const SCENARIOS: readonly Scenario[] = [resolveScenario, massFailureScenario, aggregateScenario, snapshotScenario, probesScenario, tableScenario];
