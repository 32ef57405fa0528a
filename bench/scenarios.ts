import type { Scenario } from './harness.js';
import { resolveScenario } from './resolve.bench.js';
import { tableScenario } from './table.bench.js';
import { aggregateScenario } from './aggregate.bench.js';
import { probesScenario } from './probes.bench.js';
import { massFailureScenario } from './mass-failure.bench.js';
import { snapshotScenario } from './snapshot.bench.js';
import { propagationScenario } from './propagation.bench.js';
import { dnsScenario } from './dns.bench.js';
import { dnsPeersScenario } from './dns-peers.bench.js';
import { configScenario } from './config.bench.js';
import { dnsOverloadScenario } from './dns-overload.bench.js';
import { adminScenario } from './admin.bench.js';
import { pageScenario } from './page.bench.js';
import { dnsSharingScenario } from './dns-sharing.bench.js';
import { cidrScenario } from './cidr.bench.js';

/** Every scenario `npm run bench` runs, in order. */
export const SCENARIOS: readonly Scenario[] = [
  resolveScenario,
  cidrScenario,
  massFailureScenario,
  aggregateScenario,
  snapshotScenario,
  propagationScenario,
  probesScenario,
  tableScenario,
  dnsScenario,
  dnsPeersScenario,
  dnsOverloadScenario,
  configScenario,
  adminScenario,
  pageScenario,
  dnsSharingScenario,
];
