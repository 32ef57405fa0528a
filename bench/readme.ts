import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Figure } from './harness.js';

/** A headline figure the README shows, read from results/summary.json. */
interface Headline {
  readonly scenario: string;
  readonly key: string;
  readonly label: string;
  readonly goal: string;
  /** Shown when the scenario ran but has no figure for the key (null): why there is none. */
  readonly whenNull?: string;
}

/** The README's benchmark table, in order. Keys are summary.json's stable keys. */
export const HEADLINES: readonly Headline[] = [
  {
    scenario: 'resolve',
    key: 'weighted8_resolves_per_sec_healthy',
    label: 'resolves/s, 8-answer weighted name, all healthy, one thread',
    goal: '≥ 10,000,000',
  },
  {
    scenario: 'resolve',
    key: 'weighted8_resolves_per_sec_all_down',
    label: 'resolves/s, same name, all unhealthy',
    goal: '≥ 10,000,000',
  },
  {
    scenario: 'resolve',
    key: 'weighted8_ratio_all_down_vs_healthy',
    label: 'time per resolve, all unhealthy ÷ all healthy',
    goal: '0.95–1.05',
  },
  {
    scenario: 'resolve',
    key: 'max_bytes_per_call_any_policy',
    label: 'bytes allocated per resolve (any policy, any health)',
    goal: '0',
  },
  {
    scenario: 'mass-failure',
    key: 'all_down_p99_ratio',
    label: 'resolve latency p99 under load, 100% failed ÷ healthy',
    goal: '≤ 1.1',
  },
  {
    scenario: 'mass-failure',
    key: 'all_down_p999_ratio',
    label: 'resolve latency p99.9 under load, 100% failed ÷ healthy',
    goal: '≤ 1.1',
  },
  {
    scenario: 'mass-failure',
    key: 'goal_met',
    label: 'every phase (half down, all down, recovered) p99 and p99.9 within 1.1× healthy',
    goal: 'true',
  },
  {
    scenario: 'mass-failure',
    key: 'paired_all_down_p999_ratio',
    label: 'resolve latency p99.9, 100% failed ÷ a healthy control in the same time windows',
    goal: '≤ 1.1',
  },
  {
    scenario: 'propagation',
    key: 'engine_ratio_10k_vs_1',
    label: 'propagation time, 10,000 failures ÷ 1 (urnd)',
    goal: '≤ 1.1',
  },
  {
    scenario: 'propagation',
    key: 'baseline_ratio_10k_vs_1',
    label: 'propagation time, 10,000 failures ÷ 1 (event-driven baseline)',
    goal: 'reported',
  },
  {
    scenario: 'dns',
    key: 'urnd_vs_bare_ratio',
    label: 'DNS saturated q/s, urnd serve ÷ bare UDP responder',
    goal: '≥ 0.8',
  },
  {
    scenario: 'dns',
    key: 'p99_ratio_all_down_vs_up',
    label: 'DNS latency p99 at a fixed rate, all targets down ÷ all up',
    goal: '≤ 1.1',
  },
  {
    scenario: 'dns-peers',
    key: 'urnd_qps',
    label: 'DNS saturated q/s beside real peers, one name over 8 loopback targets: urnd serve',
    goal: 'reported',
  },
  { scenario: 'dns-peers', key: 'gdnsd_qps', label: 'the same: gdnsd (`multifo` + `tcp_connect`)', goal: 'reported' },
  {
    scenario: 'dns-peers',
    key: 'pdns_qps',
    label: 'the same: PowerDNS Authoritative (LUA `ifportup`)',
    goal: 'reported',
  },
  {
    scenario: 'dns-peers',
    key: 'urnd_drop_s',
    label: 'time to drop a dead target, s: urnd serve (checks every 1 s, down after 2 failures)',
    goal: 'reported',
  },
  {
    scenario: 'dns-peers',
    key: 'gdnsd_drop_s',
    label: 'the same: gdnsd (every 2 s, its minimum; 2 failures)',
    goal: 'reported',
  },
  { scenario: 'dns-peers', key: 'pdns_drop_s', label: 'the same: PowerDNS (every 1 s; 1 failure)', goal: 'reported' },
  {
    scenario: 'dns-overload',
    key: 'urnd_goodput_ratio_2x',
    label:
      'DNS goodput offered 2× its own saturated rate ÷ that rate (open loop, server and dnsperf on a core each): urnd serve',
    goal: '≥ 0.95',
  },
  { scenario: 'dns-overload', key: 'urnd_goodput_ratio_10x', label: 'the same at 10×: urnd serve', goal: '≥ 0.95' },
  {
    scenario: 'dns-overload',
    key: 'urnd_sent_ratio_10x',
    label: 'what dnsperf really sent in that 10× phase ÷ S (under 0.95 × 10: loader-limited)',
    goal: 'reported',
  },
  {
    scenario: 'dns-overload',
    key: 'urnd_avg_ratio_10x_vs_1x',
    label: 'average latency of answered queries, 10× ÷ 1×: urnd serve',
    goal: '≤ 2',
  },
  {
    scenario: 'dns-overload',
    key: 'urnd_p99_ratio_10x_vs_1x',
    label: 'p99 latency of answered queries, 10× ÷ 1×: urnd serve',
    goal: '≤ 2',
  },
  {
    scenario: 'dns-overload',
    key: 'urnd_queue_2ms_goodput_ratio_2x',
    label: 'with `dns.maxQueue: 2ms` (default 5ms): goodput at 2× ÷ S',
    goal: 'reported',
  },
  { scenario: 'dns-overload', key: 'urnd_queue_2ms_goodput_ratio_10x', label: 'the same at 10×', goal: 'reported' },
  {
    scenario: 'dns-overload',
    key: 'urnd_queue_2ms_avg_ratio_10x_vs_1x',
    label: 'the same, average latency 10× ÷ 1×',
    goal: 'reported',
  },
  { scenario: 'dns-overload', key: 'urnd_queue_2ms_p99_ratio_10x_vs_1x', label: 'and p99, 10× ÷ 1×', goal: 'reported' },
  {
    scenario: 'dns-overload',
    key: 'urnd_tcp_p99_ms_udp_10x',
    label: 'TCP query p99 during the UDP 10× flood, ms: urnd serve',
    goal: 'reported',
  },
  {
    scenario: 'dns-overload',
    key: 'gdnsd_goodput_ratio_10x',
    label: 'goodput at 10× ÷ saturated rate: gdnsd',
    goal: 'reported',
  },
  {
    scenario: 'dns-overload',
    key: 'gdnsd_p99_ratio_10x_vs_1x',
    label: 'p99 of answered queries, 10× ÷ 1×: gdnsd',
    goal: 'reported',
  },
  {
    scenario: 'dns-overload',
    key: 'pdns_goodput_ratio_10x',
    label: 'goodput at 10× ÷ saturated rate: PowerDNS',
    goal: 'reported',
  },
  {
    scenario: 'dns-overload',
    key: 'pdns_p99_ratio_10x_vs_1x',
    label: 'p99 of answered queries, 10× ÷ 1×: PowerDNS',
    goal: 'reported',
    whenNull: 'none: it answered no query at 10×',
  },
  {
    scenario: 'dns-overload',
    key: 'pdns_status',
    label: 'PowerDNS under those floods',
    goal: 'reported',
  },
  {
    scenario: 'dns-sharing',
    key: 'reuse_port_vs_inherited_qps_ratio_2p',
    label: 'DNS saturated q/s, 2 DNS processes on one port: SO_REUSEPORT ÷ inherited sockets (same Node, same run)',
    goal: 'reported',
  },
  {
    scenario: 'dns-sharing',
    key: 'reuse_port_vs_inherited_p99_ratio_2p',
    label: 'DNS latency p99 at one fixed rate, 2 DNS processes: SO_REUSEPORT ÷ inherited sockets',
    goal: 'reported',
  },
  {
    scenario: 'dns-sharing',
    key: 'node',
    label: "Node those DNS processes ran on (the Node column is the suite runner's)",
    goal: 'reported',
  },
  {
    scenario: 'config',
    key: '100_000_checks_ms',
    label: 'config pass (parse, validate, compile), 100,000 checks, ms',
    goal: '≤ 3,000',
  },
  { scenario: 'config', key: '100_000_checks_rss_mb', label: 'the same, peak RSS, MB', goal: '< 500' },
  {
    scenario: 'config',
    key: '64_000_key_bad_document_ms',
    label: 'a 64,000-key bad document rejected, ms',
    goal: '≤ 2,000',
  },
  {
    scenario: 'config',
    key: 'hostile_worst_ms',
    label: 'a 10 MB hostile document rejected, slowest shape, ms',
    goal: 'bounded',
  },
  {
    scenario: 'config',
    key: 'lateness_p99_ratio',
    label: 'aggregator tick lateness p99, a config pass every second ÷ none',
    goal: '≤ 1.1',
  },
  {
    scenario: 'admin-scrape',
    key: 'c1m_default_p50_ms',
    label: '/metrics scrape at 1,048,576 checks, p50 ms',
    goal: 'reported',
  },
  {
    scenario: 'admin-scrape',
    key: 'c16k_all_series_down_vs_healthy_p50',
    label: '/metrics with every per-check series, 16,384 checks, all down ÷ all up',
    goal: '0.95–1.05',
  },
  {
    scenario: 'admin-scrape',
    key: 'dns_p99_scraped_vs_quiet',
    label: 'DNS p99, /metrics scraped every 100 ms ÷ not',
    goal: '≤ 1.1',
  },
  {
    scenario: 'page',
    key: 'c1m_busy_ratio_unhealthy_vs_healthy',
    label: 'live page, server busy time a second at 1,048,576 slots, all down ÷ all up',
    goal: 'reported',
  },
  { scenario: 'table', key: 'invalid_reads', label: 'table values read that nobody wrote (real threads)', goal: '0' },
  {
    scenario: 'table',
    key: 'observation_write_ratio_failure_vs_success',
    label: 'observation write (checker → table), failed probe ÷ successful one',
    goal: '0.95–1.05',
  },
  {
    scenario: 'table',
    key: 'c16k_busy_over_idle_scan_rate',
    label: 'reader scan rate, writers busy ÷ idle, 16,384 slots',
    goal: 'reported',
  },
  {
    scenario: 'aggregate',
    key: 'c16k_v1_ratio_all_down_vs_healthy',
    label: 'aggregator tick, 100% ÷ 0% unhealthy, 16,384 slots',
    goal: '0.95–1.05',
  },
  {
    scenario: 'aggregate',
    key: 'c1m_v1_ratio_all_down_vs_healthy',
    label: 'aggregator tick, 100% ÷ 0% unhealthy, 1,048,576 slots',
    goal: '0.95–1.05',
  },
  {
    scenario: 'aggregate',
    key: 'c16k_v1_tick_ms_p50_healthy',
    label: 'aggregator tick p50 at 16,384 slots, ms',
    goal: 'reported',
  },
  {
    scenario: 'aggregate',
    key: 'c1m_v1_tick_ms_p50_healthy',
    label: 'aggregator tick p50 at 1,048,576 slots, ms',
    goal: 'reported',
  },
  {
    scenario: 'snapshot',
    key: 'c16k_ratio_unhealthy_vs_healthy',
    label: 'status frame encode+decode+apply, unhealthy ÷ healthy, 16,384 slots',
    goal: '0.95–1.05',
  },
  {
    scenario: 'snapshot',
    key: 'c1m_ratio_unhealthy_vs_healthy',
    label: 'status frame encode+decode+apply, unhealthy ÷ healthy, 1,048,576 slots',
    goal: '0.95–1.05',
  },
  {
    scenario: 'snapshot',
    key: 'c1m_total_us_p50_healthy',
    label: 'status frame encode+decode+apply at 1,048,576 slots, µs',
    goal: 'reported',
  },
  {
    scenario: 'probes',
    key: 'lateness_p99_ratio_timeout_vs_healthy',
    label: 'probe start lateness p99, all timing out ÷ all healthy',
    goal: '≤ 1.1',
  },
  {
    scenario: 'probes',
    key: 'lateness_p99_ratio_over_floor',
    label: 'the same, each state over a do-nothing timer thread in the same windows',
    goal: 'reported',
  },
  {
    scenario: 'probes',
    key: 'heap_bytes_per_hanging_probe',
    label: 'heap a probe of a hanging HTTP target keeps, bytes',
    goal: 'reported',
  },
  { scenario: 'probes', key: 'cpu_us_per_probe_healthy', label: 'CPU per probe (HTTP, healthy), µs', goal: 'reported' },
  {
    scenario: 'probes',
    key: 'max_checks_per_interval',
    label: 'most checks per interval sustained with lateness p99 < 10% of the interval',
    goal: 'reported',
  },
];

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function show(v: Figure | undefined): string {
  if (v === undefined || v === null) return 'not measured yet';
  if (typeof v === 'number') {
    if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
    // Ratios and small figures: four significant digits are more than a noisy machine measures.
    if (Number.isInteger(v) || Math.abs(v) < 0.001) return String(v);
    const shown = Number(v.toPrecision(4));
    // A ratio that rounds to a whole number still says it was measured, not set: 1.000, not 1.
    return Number.isInteger(shown) ? v.toFixed(3) : String(shown);
  }
  return String(v);
}

/** Rewrites the README's marked benchmark section from summary.json. */
export function updateReadme(readmePath: string, summaryPath: string): boolean {
  if (!existsSync(readmePath) || !existsSync(summaryPath)) return false;
  const readme = readFileSync(readmePath, 'utf8');
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return false;
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, Record<string, Figure>>;
  // Each figure with the Node it ran on: scenarios may come from different runs.
  const node = (scenario: string) => {
    const v = summary[scenario]?._node;
    return typeof v === 'string' ? v : 'unknown';
  };
  const rows = HEADLINES.map(
    (h) =>
      `| ${h.label} | ${summary[h.scenario]?.[h.key] === null && h.whenNull !== undefined ? h.whenNull : show(summary[h.scenario]?.[h.key])} | ${summary[h.scenario] === undefined ? '' : node(h.scenario)} | ${h.goal} |`,
  );
  const runs = [
    ...new Set(
      Object.values(summary).map(
        (s) =>
          `${String(s._date).slice(0, 10)} (commit ${String(s._commit)}, Node ${typeof s._node === 'string' ? s._node : 'unknown'}${s._quick === true ? ', quick' : ''})`,
      ),
    ),
  ];
  const table = [
    START,
    '| figure | measured | Node | goal |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `From ${runs.join('; ')} on the project's 2-core machine. Full tables, histograms and environment: [results/REPORT.md](results/REPORT.md); raw figures: [results/summary.json](results/summary.json).`,
    END,
  ].join('\n');
  writeFileSync(readmePath, readme.slice(0, a) + table + readme.slice(b + END.length));
  return true;
}

export function readmeBeside(resultsDir: string): string {
  return path.join(path.dirname(resultsDir), 'README.md');
}
