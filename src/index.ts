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
 *
 * This is the whole public API: what an embedder needs to load a config,
 * hold the tables, resolve, run a cell, answer DNS messages, ship tables as
 * frames and report latency. Everything else is internal and may change
 * between releases.
 */

/** Errors: every error urnd throws is a `UrndError` with a stable `code`; a rejected config is a `ConfigError` listing each `{ path, message }`. */
export { UrndError, ConfigError, type UrndErrorCode, type ConfigIssue } from './errors.js';

/** Config: load a document (file, http(s) URL or text), validate it whole, compile it to a fixed-layout `Plan`; `ConfigLoop` refetches and applies it every interval. */
export {
  loadConfig,
  loadConfigFile,
  parseConfigText,
  validateConfig,
  compileConfig,
  encodePlan,
  decodePlan,
  ConfigLoop,
  type ConfigLoopOptions,
  type ConfigLoopStats,
  type ConfigDocument,
  type ConfigDocumentInput,
} from './config/index.js';
/** Zone files: an RFC 1035 master file → record sets in the document's `records` shape (what `zones[].file` reads). */
export {
  parseZoneFile,
  type ZoneFileOptions,
  type ZoneFileContent,
  type ZoneFileRecordSet,
  type ZoneFileSoa,
} from './config/index.js';
export {
  RecordType,
  Policy,
  FailMode,
  type RecordTypeName,
  type PolicyName,
  type Plan,
  type CheckSpec,
  type ProbeCheckSpec,
  type CalculatedCheckSpec,
  type ZoneSpec,
  type Endpoint,
  DEFAULT_LOCATION,
  type CidrCollectionSpec,
  type CidrLocationSpec,
} from './config/plan.js';

/** Tables: the shared status table (one byte a slot) and observation table, on SharedArrayBuffers; readers take no lock. */
export { StatusTable } from './table/status-table.js';
export { ObservationTable } from './table/observation-table.js';
export {
  Status,
  STATUS_NAMES,
  DEFAULT_CAPACITY,
  MIN_CAPACITY,
  MAX_CAPACITY,
  type StatusName,
  type SlotIndex,
  FAILURE_REASONS,
  type FailureReason,
} from './table/layout.js';
/** Failure reasons: the Uint16 word a checker stores beside each observation and the aggregator keeps per slot (`cell.aggregator.lastFailure(slot)`); `formatReason` reads it as `timeout`, `status 503`, …. */
export { formatReason, reasonOf, reasonHttpStatus, packReason } from './table/failure-reason.js';

/** Resolver: answers a name from a plan and the status table, with Route 53's routing policies; `createLookup` plugs it into `net`/`http`/undici. */
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
  type AliasExplanation,
  type IpMatchExplanation,
  ClientAddress,
  type LookupFunction,
  type LookupOptions,
  type LookupAddress,
  type CreateLookupOptions,
  type RandomSource,
} from './resolve/index.js';

/** Cell: the whole engine in one process (checker workers, aggregator, resolver, optionally DNS), as `urnd serve` runs it. */
export { Cell, type CellOptions, type CellStatus } from './cell.js';

/** DNS messages: a `Responder` turns a query's bytes into a reply's from the resolver, with no sockets. */
export { Responder, type ResponderOptions, type ResponderCounters, type Transport } from './dns/responder.js';

/** Snapshot codec: whole tables as fixed-size checksummed (or HMAC-signed) frames, and a receiver that keeps the last good table. */
export {
  encodeSnapshot,
  decodeSnapshot,
  SnapshotEncoder,
  SnapshotReceiver,
  ObservationReceiver,
  SnapshotError,
  REJECT_REASONS,
  type SnapshotFrame,
  type FrameKind,
  type DecodeExpectations,
  type SnapshotEncoderOptions,
  type ReceiverOptions,
  type ObservationReceiverOptions,
  type ReceiverCounters,
  type ReceiveOutcome,
  type Staleness,
  type RejectReason,
} from './snapshot/index.js';

/** Reports: HDR percentile summaries, `.hgrm` parsing, SVG plots and the markdown table `urnd report` prints; a clock for load loops of your own. */
export {
  REPORTED_PERCENTILES,
  parseHgrm,
  summarize,
  percentilePlot,
  countsPercentile,
  monotonicMs,
  type ReportedPercentile,
  type LatencySummary,
  type PercentileDistribution,
  type PercentilePoint,
} from './metrics/index.js';
export { reportTable } from './cli/report.js';

/** Status changes, found once a tick by comparing the whole table (`Cell.onStatusChange`). */
export { StatusChanges, type StatusChangeEvent, type StatusChangeListener } from './table/status-changes.js';
