/**
 * urnd: a constant-work health-check propagation engine with a
 * health-aware DNS resolver core.
 *
 * ```ts
 * import { loadConfigFile, compileConfig, StatusTable, Resolver, createLookup } from 'urnd';
 *
 * const plan = compileConfig(await loadConfigFile('urnd.yaml'));
 * const table = StatusTable.create(plan.cell.capacity);
 * const resolver = new Resolver(plan, table);
 * resolver.resolve('www.demo.test', 'A');          // { status: 'ok', addresses: [...], ttl }
 * resolver.explain('www.demo.test');               // why each address is in or out
 * http.get({ host: 'www.demo.test', lookup: createLookup(resolver) });
 * ```
 */
export { UrndError, ConfigError, type UrndErrorCode, type ConfigIssue } from './errors.js';

export { StatusTable, checkCapacity } from './table/status-table.js';
export { ObservationTable } from './table/observation-table.js';
export {
  packObservation,
  nextObservation,
  observationResult,
  observationRun,
  observationLatencyUs,
  isValidObservation,
} from './table/observation-word.js';
export {
  Status,
  STATUS_NAMES,
  Result,
  DEFAULT_CAPACITY,
  MIN_CAPACITY,
  MAX_CAPACITY,
  type StatusName,
  type SlotIndex,
} from './table/layout.js';

export * from './config/index.js';

export {
  Resolver,
  ResolveCode,
  RESOLVE_BUFFER_LENGTH,
  normalizeName,
  explain,
  createLookup,
  seededRandom,
  type ResolverOptions,
  type ResolveResult,
  type Explanation,
  type RecordSetExplanation,
  type CandidateExplanation,
  type LookupFunction,
  type LookupOptions,
  type LookupAddress,
  type CreateLookupOptions,
  type RandomSource,
} from './resolve/index.js';

export * from './check/index.js';
export * from './aggregate/index.js';
export { Cell, type CellOptions, type CellStatus } from './cell.js';
export { StatusChanges, type StatusChangeEvent, type StatusChangeListener } from './table/status-changes.js';
export * from './admin/index.js';
export { PrometheusWriter, PROMETHEUS_CONTENT_TYPE, type Labels, type MetricType } from './metrics/prometheus.js';
export { DnsFront, type DnsFrontOptions, type DnsSample } from './dns/dns-front.js';
export { DnsServer, DEFAULT_DNS_TUNING, type DnsServerOptions, type DnsResponder, type DnsAddress } from './dns/server.js';
export type { DnsServerStats, DnsServerTuning } from './dns/messages.js';
export { CheckerPool, type CheckerPoolOptions, type CheckerPoolStats } from './check/checker-pool.js';
export { LatenessWindow } from './check/lateness-window.js';
export { assignPhases, partitionChecks, probeTime, type ScheduledCheck } from './check/schedule.js';
export * from './snapshot/index.js';
export * from './metrics/index.js';
export { resolveFrameKey } from './roles/frame-key.js';
export { RoleConfig, type AppliedConfig, type RoleConfigOptions, type RoleConfigStats } from './roles/role-config.js';
export { changedSlots, sameProbeChecks } from './roles/plan-change.js';
