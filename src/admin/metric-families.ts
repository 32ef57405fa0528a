/**
 * The metric families more than one role exports, each written from the
 * object that already counts it. Names follow Prometheus conventions:
 * `urnd_` prefix, `_total` counters, base units (`_seconds`, `_bytes`).
 */
import type { CheckSpec, Plan } from '../config/plan.js';
import type { CheckerPoolStats } from '../check/checker-pool.js';
import type { DnsServerStats } from '../serving/resolver-messages.js';
import { sharedHistogramBucketValue, SHARED_HISTOGRAM_BUCKETS } from '../metrics/shared-histogram.js';
import { escapeLabelValue, type PrometheusWriter } from '../metrics/prometheus.js';
import type { FrameListenerStats, SubscriberStats } from '../snapshot/push.js';
import { CLOSE_REASONS } from '../snapshot/frame-listener.js';
import type { ReceiverCounters, Staleness } from '../snapshot/receiver.js';
import { REJECT_REASONS } from '../snapshot/snapshot-error.js';
import {
  FAILURE_REASONS,
  REASON_CODE_MASK,
  REASON_HTTP_MAX,
  REASON_HTTP_SHIFT,
  STATUS_NAMES,
} from '../table/layout.js';
import type { ConfigLoopStats } from '../config/loop.js';

/** Config passes, rejections and the applied version (an info metric). */
export function writeConfig(w: PrometheusWriter, role: string, c: ConfigLoopStats, cell: string): void {
  w.single(
    'urnd_config_passes_total',
    'counter',
    'Config passes run (fetch, parse, validate, apply), good or not.',
    c.passes,
  );
  w.single('urnd_config_applied_total', 'counter', 'Config passes applied.', c.applied);
  w.single(
    'urnd_config_rejected_total',
    'counter',
    'Config passes rejected whole (the last good config stays).',
    c.rejected,
  );
  w.single('urnd_config_interval_seconds', 'gauge', 'Seconds between config passes.', c.intervalMs / 1000);
  w.family('urnd_config_info', 'info', 'The config applied now: version (plan hash), cell and role; always 1.');
  w.sample('urnd_config_info', 1, { version: c.version, cell, role });
}

/**
 * Checks by status (used slots only), and, up to `limit` checks, one
 * `urnd_check_status` series per check: 0 unknown, 1 healthy, 2 unhealthy
 * (the status byte); where the process keeps failure reasons
 * (`lastFailure`, a reason word per slot), one
 * `urnd_check_last_failure_info{check,slot,reason,http_status}` series per
 * check too (reason `none` before any failure; `http_status` only with
 * `status`). The reason is a family of its own, not a label of the status
 * series, so a new reason never starts a new status series under an alert.
 * Above `limit` the per-check families are left out, so a large cell cannot
 * flood the scraper.
 */
export function writeChecks(
  w: PrometheusWriter,
  plan: Pick<Plan, 'cell' | 'checks'>,
  statuses: Uint8Array,
  limit: number,
  lastFailure?: (slot: number) => number,
): void {
  const counts = [0, 0, 0];
  for (const c of plan.checks) counts[statuses[c.slot] ?? 0] = (counts[statuses[c.slot] ?? 0] ?? 0) + 1;
  w.family('urnd_checks', 'gauge', 'Checks (used slots) by status.');
  for (let s = 0; s < STATUS_NAMES.length; s++)
    w.sample('urnd_checks', counts[s] ?? 0, { status: STATUS_NAMES[s] as string });
  w.single(
    'urnd_cell_capacity_slots',
    'gauge',
    'Slots of the cell (fixed at start; unused slots are scanned and shipped too).',
    plan.cell.capacity,
  );
  w.single('urnd_check_series_limit', 'gauge', 'Checks above which per-check series are left out.', limit);
  if (plan.checks.length > limit) return;
  const lines = checkLines(plan.checks);
  w.family('urnd_check_status', 'gauge', 'Status of one check: 0 unknown, 1 healthy, 2 unhealthy.');
  // The lines are laid out once per plan; a scrape copies them and writes one digit per check.
  const status = Buffer.from(lines.status);
  for (let i = 0; i < plan.checks.length; i++)
    status[lines.digitAt[i] as number] = DIGIT_0 + (statuses[(plan.checks[i] as CheckSpec).slot] ?? 0);
  w.bytes(status);
  if (lastFailure === undefined) return;
  w.family(
    'urnd_check_last_failure_info',
    'info',
    'Why the last failed probe of one check failed (none: no failure seen); always 1.',
  );
  // The same pieces for every line, failed or not: copied from tables, not formatted.
  const out = Buffer.allocUnsafe(lines.failureBytes);
  let at = 0;
  for (let i = 0; i < plan.checks.length; i++) {
    const word = lastFailure((plan.checks[i] as CheckSpec).slot);
    at = copyInto(out, at, lines.labels, i === 0 ? 0 : (lines.labelEnd[i - 1] as number), lines.labelEnd[i] as number);
    // Every line copies the longest reason and status, then steps back over the padding: the
    // same bytes move whether a check never failed or just did.
    const reason = word & REASON_CODE_MASK;
    at = copyInto(out, at, REASON_LABEL_BYTES, reason * REASON_LABEL_WIDTH, (reason + 1) * REASON_LABEL_WIDTH);
    at -= REASON_LABEL_WIDTH - (REASON_LABEL_LENGTH[reason] as number);
    const http = (word >>> REASON_HTTP_SHIFT) & REASON_HTTP_MAX;
    at = copyInto(out, at, HTTP_STATUS_BYTES, http * HTTP_STATUS_WIDTH, (http + 1) * HTTP_STATUS_WIDTH);
    at -= HTTP_STATUS_WIDTH - (HTTP_STATUS_LENGTH[http] as number);
    at = copyInto(out, at, INFO_LINE_END, 0, INFO_LINE_END.length);
  }
  w.bytes(out.subarray(0, at));
}

const DIGIT_0 = 0x30;
const INFO_LINE_END = Buffer.from('"} 1\n');

/** Copies `src[from, to)` into `dst` at `at`; returns the end. A loop, not Buffer#copy: lines are short and this allocates nothing. */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array, from: number, to: number): number {
  for (let j = from; j < to; j++) dst[at++] = src[j] as number;
  return at;
}

/** Fixed-width rows of a byte table (each padded to the longest) and the length of each, from texts. */
function paddedRows(texts: readonly string[]): { bytes: Uint8Array; width: number; length: Uint8Array } {
  const rows = texts.map((t) => Buffer.from(t));
  const width = Math.max(...rows.map((r) => r.length));
  const bytes = new Uint8Array(width * rows.length);
  rows.forEach((r, i) => bytes.set(r, i * width));
  return { bytes, width, length: Uint8Array.from(rows, (r) => r.length) };
}
/** `",reason="…",http_status="` by reason code (codes urnd never writes read as none). */
const REASONS = paddedRows(
  Array.from(
    { length: REASON_CODE_MASK + 1 },
    (_, code) => `",reason="${FAILURE_REASONS[code - 1] ?? 'none'}",http_status="`,
  ),
);
const REASON_LABEL_BYTES = REASONS.bytes;
const REASON_LABEL_WIDTH = REASONS.width;
const REASON_LABEL_LENGTH = REASONS.length;
/** An HTTP status as label text; 0 (none) is empty. */
const HTTP = paddedRows(Array.from({ length: REASON_HTTP_MAX + 1 }, (_, h) => (h === 0 ? '' : String(h))));
const HTTP_STATUS_BYTES = HTTP.bytes;
const HTTP_STATUS_WIDTH = HTTP.width;
const HTTP_STATUS_LENGTH = HTTP.length;

/** The per-check lines of one plan's checks, laid out once (a plan's checks never change). */
interface CheckLines {
  /** Every `urnd_check_status{check="…",slot="…"} 0` line; the digit at `digitAt[i]` is check i's status. */
  readonly status: Buffer;
  readonly digitAt: Uint32Array;
  /** `urnd_check_last_failure_info{check="…",slot="…` of each check, one after another; check i ends at `labelEnd[i]`. */
  readonly labels: Buffer;
  readonly labelEnd: Uint32Array;
  /** The most bytes the failure lines can take (the longest reason and HTTP status on every line). */
  readonly failureBytes: number;
}

const linesOf = new WeakMap<readonly CheckSpec[], CheckLines>();
function checkLines(checks: readonly CheckSpec[]): CheckLines {
  const cached = linesOf.get(checks);
  if (cached !== undefined) return cached;
  const labelText = checks.map((c) => `{check="${escapeLabelValue(c.id)}",slot="${c.slot}`);
  const statusParts: Buffer[] = [];
  const digitAt = new Uint32Array(checks.length);
  let at = 0;
  for (let i = 0; i < checks.length; i++) {
    const line = Buffer.from(`urnd_check_status${labelText[i]}"} 0\n`);
    digitAt[i] = at + line.length - 2;
    at += line.length;
    statusParts.push(line);
  }
  const labelParts = labelText.map((l) => Buffer.from(`urnd_check_last_failure_info${l}`));
  const labelEnd = new Uint32Array(checks.length);
  let end = 0;
  for (let i = 0; i < labelParts.length; i++) {
    end += (labelParts[i] as Buffer).length;
    labelEnd[i] = end;
  }
  const lines: CheckLines = {
    status: Buffer.concat(statusParts),
    digitAt,
    labels: Buffer.concat(labelParts),
    labelEnd,
    failureBytes: end + checks.length * (REASON_LABEL_WIDTH + HTTP_STATUS_WIDTH + INFO_LINE_END.length),
  };
  linesOf.set(checks, lines);
  return lines;
}

/** Status changes seen by the once-a-tick table comparison. */
export function writeStatusChanges(w: PrometheusWriter, total: number): void {
  w.single(
    'urnd_status_changes_total',
    'counter',
    'Slot status changes seen, counted once a tick over the whole table.',
    total,
  );
}

/** Probe counters and the start lateness histogram of a checker pool. */
export function writeProbes(w: PrometheusWriter, s: CheckerPoolStats, lateness: Float64Array): void {
  w.single('urnd_checker_workers', 'gauge', 'Checker worker threads.', s.workers);
  w.single('urnd_probes_started_total', 'counter', 'Probes started.', s.probesStarted);
  w.single('urnd_probes_finished_total', 'counter', 'Probes finished (any result).', s.probesDone);
  w.single('urnd_probes_failed_total', 'counter', 'Probes that finished with a failure.', s.probesFailed);
  w.family('urnd_probe_failures_total', 'counter', 'Probes that finished with a failure, by reason.');
  for (let r = 0; r < FAILURE_REASONS.length; r++)
    w.sample('urnd_probe_failures_total', s.probesFailedByReason[r] ?? 0, { reason: FAILURE_REASONS[r] as string });
  w.single('urnd_checker_crashes_total', 'counter', 'Checker worker threads lost and restarted.', s.crashes);
  writeLateness(w, lateness);
}

/** Bounds of the lateness histogram, seconds. */
const LATENESS_BOUNDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] as const;

/** Shared-histogram counts (µs buckets) folded into Prometheus buckets (s). */
function writeLateness(w: PrometheusWriter, counts: Float64Array): void {
  const cumulative: number[] = LATENESS_BOUNDS.map(() => 0);
  let total = 0;
  let sum = 0;
  let j = 0;
  for (let b = 0; b < SHARED_HISTOGRAM_BUCKETS; b++) {
    const n = counts[b] ?? 0;
    if (n === 0) continue;
    // A bucket counts under a bound when its highest value is within it (never understated).
    const top = sharedHistogramBucketValue(b) / 1e6;
    total += n;
    sum += n * top;
    while (j < LATENESS_BOUNDS.length && top > (LATENESS_BOUNDS[j] as number)) j++;
    for (let k = j; k < LATENESS_BOUNDS.length; k++) cumulative[k] = (cumulative[k] as number) + n;
  }
  w.histogram(
    'urnd_probe_start_lateness_seconds',
    'Probe start time minus its scheduled time, seconds (bucket tops, so the sum is an upper bound).',
    LATENESS_BOUNDS,
    cumulative,
    sum,
    total,
  );
}

/** The aggregator's last tick. */
export function writeTick(w: PrometheusWriter, ticks: number, tickMs: number): void {
  w.single('urnd_aggregator_ticks_total', 'counter', 'Aggregator ticks run.', ticks);
  w.single(
    'urnd_aggregator_tick_duration_seconds',
    'gauge',
    'Duration of the last aggregator tick (scan of every slot and publish), seconds.',
    tickMs / 1000,
  );
}

/** Frames received and rejected by reason, and the listener's connection counters. */
export function writeFramesIn(
  w: PrometheusWriter,
  kind: 'status' | 'observations',
  c: ReceiverCounters,
  l: FrameListenerStats | null,
): void {
  w.family('urnd_frames_received_total', 'counter', 'Frames received, by kind.').sample(
    'urnd_frames_received_total',
    c.received,
    { kind },
  );
  w.family('urnd_frames_applied_total', 'counter', 'Frames applied, by kind.').sample(
    'urnd_frames_applied_total',
    c.applied,
    { kind },
  );
  w.family('urnd_frames_rejected_total', 'counter', 'Frames rejected, by kind and reason (the last good table stays).');
  for (const r of REJECT_REASONS) w.sample('urnd_frames_rejected_total', c[r], { kind, reason: r });
  if (l === null) return;
  w.single('urnd_frame_connections', 'gauge', 'Frame connections open now.', l.connections);
  w.single(
    'urnd_frame_connections_proven',
    'gauge',
    'Frame connections open now that have delivered a genuine frame.',
    l.proven,
  );
  w.single('urnd_frame_connections_accepted_total', 'counter', 'Frame connections accepted.', l.accepted);
  w.family('urnd_frame_connections_closed_total', 'counter', 'Frame connections closed by this side, by reason.');
  for (const r of CLOSE_REASONS) w.sample('urnd_frame_connections_closed_total', l.closed[r], { reason: r });
  w.family(
    'urnd_frame_connections_cut_mid_frame_total',
    'counter',
    'Frame connections the peer ended part-way through a frame.',
  );
  w.sample('urnd_frame_connections_cut_mid_frame_total', l.partial);
}

/** Frames pushed to each subscriber. */
export function writeFramesOut(w: PrometheusWriter, subs: readonly SubscriberStats[]): void {
  w.family('urnd_frames_sent_total', 'counter', 'Frames the kernel accepted, by subscriber.');
  for (const s of subs) w.sample('urnd_frames_sent_total', s.sent, { peer: `${s.host}:${s.port}` });
  w.family(
    'urnd_frames_dropped_total',
    'counter',
    'Frames given up (connection failed or closed first), by subscriber.',
  );
  for (const s of subs) w.sample('urnd_frames_dropped_total', s.dropped, { peer: `${s.host}:${s.port}` });
  w.family('urnd_frames_replaced_total', 'counter', 'Unsent frames replaced by a newer one, by subscriber.');
  for (const s of subs) w.sample('urnd_frames_replaced_total', s.replaced, { peer: `${s.host}:${s.port}` });
  w.family('urnd_peer_connected', 'gauge', '1 when the link to the subscriber is connected.');
  for (const s of subs) w.sample('urnd_peer_connected', s.connected ? 1 : 0, { peer: `${s.host}:${s.port}` });
}

/** Staleness of the table a receiver applied last. */
export function writeStaleness(w: PrometheusWriter, s: Staleness): void {
  w.single(
    'urnd_table_age_seconds',
    'gauge',
    'Seconds since the last good status frame was applied; -1 before the first.',
    s.secondsSinceLastGood ?? -1,
  );
  w.single(
    'urnd_table_sequence',
    'gauge',
    'Sequence of the applied status frame; -1 before the first.',
    s.lastSequence ?? -1,
  );
}

/** DNS server counters of the resolver thread. */
export function writeDns(w: PrometheusWriter, d: DnsServerStats | null, restarts: number): void {
  w.single('urnd_dns_resolver_restarts_total', 'counter', 'Resolver threads lost and restarted.', restarts);
  // Before the resolver thread's first once-a-second sample every counter is 0: the series exist from the start.
  w.family('urnd_dns_queries_total', 'counter', 'DNS queries received, by transport.');
  w.sample('urnd_dns_queries_total', d?.udpReceived ?? 0, { transport: 'udp' }).sample(
    'urnd_dns_queries_total',
    d?.tcpQueries ?? 0,
    { transport: 'tcp' },
  );
  w.family('urnd_dns_answers_total', 'counter', 'DNS answers sent, by transport.');
  w.sample('urnd_dns_answers_total', d?.udpAnswered ?? 0, { transport: 'udp' }).sample(
    'urnd_dns_answers_total',
    d?.tcpAnswered ?? 0,
    { transport: 'tcp' },
  );
  w.family('urnd_dns_ignored_total', 'counter', 'DNS messages not answered (not a query, too broken), by transport.');
  w.sample('urnd_dns_ignored_total', d?.udpIgnored ?? 0, { transport: 'udp' }).sample(
    'urnd_dns_ignored_total',
    d?.tcpIgnored ?? 0,
    { transport: 'tcp' },
  );
  w.single(
    'urnd_dns_shed_total',
    'counter',
    'UDP queries dropped unanswered because the resolver loop was over its lag bound.',
    d?.udpShed ?? 0,
  );
  w.single('urnd_dns_send_errors_total', 'counter', 'UDP answers that failed to send.', d?.udpSendErrors ?? 0);
  if (d?.udpKernelDrops !== null)
    w.single(
      'urnd_dns_kernel_drops_total',
      'counter',
      'UDP datagrams the kernel dropped (receive buffer full).',
      d?.udpKernelDrops ?? 0,
    );
  // The time bound on the UDP queue, as the kernel sees it: the buffer it granted and the rate it was sized for.
  w.single(
    'urnd_dns_udp_receive_buffer_bytes',
    'gauge',
    'UDP receive buffer the kernel granted (Linux: twice the request), bytes.',
    d?.udpRecvBufferBytes ?? 0,
  );
  if (d?.udpAnswerRateQps != null)
    w.single(
      'urnd_dns_udp_answer_rate_estimate',
      'gauge',
      'Answers per second of busy resolver-loop time, which sizes the receive buffer to hold dns.maxQueue of queries.',
      d.udpAnswerRateQps,
    );
  w.single('urnd_dns_tcp_connections', 'gauge', 'TCP connections open now.', d?.tcpOpen ?? 0);
  w.single('urnd_dns_tcp_accepted_total', 'counter', 'TCP connections accepted.', d?.tcpAccepted ?? 0);
  w.family('urnd_dns_tcp_closed_total', 'counter', 'TCP connections closed by the server, by reason.');
  w.sample('urnd_dns_tcp_closed_total', d?.tcpClosedIdle ?? 0, { reason: 'idle' }).sample(
    'urnd_dns_tcp_closed_total',
    d?.tcpClosedPartial ?? 0,
    { reason: 'partial' },
  );
  w.sample('urnd_dns_tcp_closed_total', d?.tcpClosedBadLength ?? 0, { reason: 'bad_length' }).sample(
    'urnd_dns_tcp_closed_total',
    d?.tcpClosedSlow ?? 0,
    { reason: 'slow_reader' },
  );
  const r = d?.responder;
  // Both transports together: the responder counts replies, not sockets.
  w.family(
    'urnd_dns_responses_total',
    'counter',
    'DNS replies by rcode (NOERROR split into answer and nodata), both transports.',
  );
  for (const [rcode, n] of [
    ['noerror', r?.noerror ?? 0],
    ['nodata', r?.nodata ?? 0],
    ['nxdomain', r?.nxdomain ?? 0],
    ['servfail', r?.servfail ?? 0],
    ['refused', r?.refused ?? 0],
    ['formerr', r?.formerr ?? 0],
    ['notimp', r?.notimp ?? 0],
    ['badvers', r?.badvers ?? 0],
  ] as const) {
    w.sample('urnd_dns_responses_total', n, { rcode });
  }
  w.single('urnd_dns_truncated_total', 'counter', 'UDP replies sent truncated (TC set).', r?.truncated ?? 0);
  w.single(
    'urnd_dns_resolver_loop_lag_seconds',
    'gauge',
    'Event-loop lag of the resolver thread now, seconds.',
    d?.lagMs ?? 0 / 1000,
  );
  w.single(
    'urnd_dns_tcp_rejected_total',
    'counter',
    'TCP connections closed at once because the connection limit was reached.',
    d?.tcpRejected ?? 0,
  );
}
