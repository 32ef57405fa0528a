import * as hdr from 'hdr-histogram-js';
import type { CheckSpec, Plan } from '../src/config/plan.js';
import { DEFAULT_CHECK_SERIES_LIMIT } from '../src/admin/admin-address.js';
import { writeChecks, writeStatusChanges } from '../src/admin/metric-families.js';
import { PrometheusWriter } from '../src/metrics/prometheus.js';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';
import { packReason } from '../src/table/failure-reason.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';
import { scrapedDnsP99 } from './admin-dns.js';

/**
 * Scrape time of the part of `/metrics` that grows with the cell: the
 * per-status counts over every check and, up to the series limit, one
 * series per check, built into the exposition text. Every slot holds a
 * check; all healthy vs all unhealthy, interleaved one scrape at a time, so
 * drift on a shared machine hits both alike. The rest of a scrape (config,
 * probes, frames, DNS, process metrics) is a fixed few dozen lines. Each
 * per-check series comes with its last failure reason series, as in `urnd
 * serve` (none when healthy, a 503 when down).
 *
 * Then the row the issue asks for: DNS p99 of a real `urnd serve` at a
 * fixed rate while /metrics is scraped every 100 ms ÷ while it is not, in
 * one run (admin-dns.ts).
 * Checks are built directly (compileConfig takes ~16 s at a million; see
 * aggregate-fixtures.ts): only `id`, `slot` and `kind` are read.
 */
interface Shape {
  readonly capacity: number;
  /** Per-check series limit: the default, or every check (the worst case). */
  readonly limit: number;
  readonly scrapes: number;
  readonly key: string;
}

function shapes(quick: boolean): Shape[] {
  return [
    { capacity: 16_384, limit: DEFAULT_CHECK_SERIES_LIMIT, scrapes: quick ? 20 : 200, key: 'c16k_default' },
    { capacity: 16_384, limit: 16_384, scrapes: quick ? 20 : 200, key: 'c16k_all_series' },
    { capacity: 1_048_576, limit: DEFAULT_CHECK_SERIES_LIMIT, scrapes: quick ? 4 : 30, key: 'c1m_default' },
  ];
}

function checks(capacity: number): Pick<Plan, 'cell' | 'checks'> {
  const list = Array.from(
    { length: capacity },
    (_, i) => ({ kind: 'probe', id: `c${i}`, slot: i }) as unknown as CheckSpec,
  );
  return { cell: { name: 'bench', capacity }, checks: list };
}

export const adminScenario: Scenario = {
  name: 'admin-scrape',
  description: '/metrics build time as the cell grows (16,384 and 1,048,576 checks), all healthy vs all unhealthy',
  estimateSeconds: (quick) => (quick ? 30 : 120),
  async run(ctx): Promise<ScenarioResult> {
    const rows: (string | number)[][] = [];
    const summary: Record<string, number> = {};
    const details: unknown[] = [];
    for (const s of shapes(ctx.quick)) {
      const plan = checks(s.capacity);
      const healthy = StatusTable.create(s.capacity);
      const down = StatusTable.create(s.capacity);
      for (let i = 0; i < s.capacity; i++) {
        healthy.set(i, Status.HEALTHY);
        down.set(i, Status.UNHEALTHY);
      }
      const hist = {
        healthy: hdr.build({ numberOfSignificantValueDigits: 3 }),
        down: hdr.build({ numberOfSignificantValueDigits: 3 }),
      };
      const bytes = { healthy: 0, down: 0 };
      const reasons = { healthy: new Uint16Array(s.capacity), down: new Uint16Array(s.capacity) };
      reasons.down.fill(packReason('status', 503));
      for (let k = 0; k < s.scrapes; k++) {
        // Alternate which state goes first.
        const order = k % 2 === 0 ? (['healthy', 'down'] as const) : (['down', 'healthy'] as const);
        for (const state of order) {
          const t0 = performance.now();
          const w = new PrometheusWriter();
          const why = reasons[state];
          writeChecks(w, plan, (state === 'healthy' ? healthy : down).statuses, s.limit, (slot) => why[slot] ?? 0);
          writeStatusChanges(w, 0);
          const body = w.body();
          hist[state].recordValue(Math.round((performance.now() - t0) * 1000));
          bytes[state] = body.length;
        }
      }
      const p = (h: hdr.Histogram, q: number) => h.getValueAtPercentile(q) / 1000;
      const ratio = p(hist.down, 50) / p(hist.healthy, 50);
      rows.push([
        s.capacity.toLocaleString('en'),
        s.limit === s.capacity ? 'every check' : String(s.limit),
        s.scrapes,
        fmt(p(hist.healthy, 50)),
        fmt(p(hist.healthy, 99)),
        fmt(p(hist.down, 50)),
        fmt(p(hist.down, 99)),
        fmt(ratio),
        bytes.healthy,
      ]);
      summary[`${s.key}_p50_ms`] = p(hist.healthy, 50);
      summary[`${s.key}_down_vs_healthy_p50`] = ratio;
      details.push({ ...s, healthyP50Ms: p(hist.healthy, 50), downP50Ms: p(hist.down, 50), bytes });
      ctx.log(
        `${s.key}: p50 ${fmt(p(hist.healthy, 50))} ms healthy, ${fmt(p(hist.down, 50))} ms all down, ${bytes.healthy} bytes`,
      );
    }
    const dns = await scrapedDnsP99({ quick: ctx.quick, log: ctx.log });
    summary['dns_p99_scraped_vs_quiet'] = dns.p99Ratio;
    summary['dns_p99_quiet_ms'] = dns.quiet.p99Ms;
    summary['dns_p99_scraped_ms'] = dns.scraped.p99Ms;
    const hgrm = {
      quiet: ctx.writeFile('admin/dns-not-scraped.hgrm', toHgrm(dns.histograms.quiet)),
      scraped: ctx.writeFile('admin/dns-scraped-every-100ms.hgrm', toHgrm(dns.histograms.scraped)),
    };
    details.push({ dnsWhileScraped: { ...dns, histograms: undefined, hgrm } });
    ctx.log(
      `dns p99 ${fmt(dns.scraped.p99Ms)} ms scraped vs ${fmt(dns.quiet.p99Ms)} ms not: ${fmt(dns.p99Ratio)} (goal ≤ 1.1)`,
    );
    const dnsRows = (['quiet', 'scraped'] as const).map((k) => {
      const d = dns[k];
      return [
        k === 'quiet' ? 'not scraped' : 'scraped every 100 ms',
        `${d.completed.toLocaleString('en')} / ${d.sent.toLocaleString('en')}`,
        d.lost,
        d.wrong,
        fmt(d.p50Ms),
        fmt(d.p99Ms),
        fmt(d.p999Ms),
        fmt(d.maxMs),
      ];
    });
    const markdown = [
      '### Admin: /metrics scrape time',
      '',
      markdownTable(
        [
          'checks',
          'per-check series',
          'scrapes',
          'healthy p50 ms',
          'healthy p99 ms',
          'all down p50 ms',
          'all down p99 ms',
          'down ÷ healthy p50',
          'bytes',
        ],
        rows,
      ),
      '',
      `DNS answers of \`urnd serve\` (${dns.checks.toLocaleString('en')} checks, per-check series on) at ${dns.rate.toLocaleString('en')} q/s, ${dns.rounds} × ${dns.phaseMs / 1000} s phases each, alternating, while /metrics is scraped every 100 ms by a scraper process at nice 19, standing for a Prometheus on another host (urnd pinned to one core, the loader and the scraper to the other where the machine has two; ${dns.scrapes} scrapes of ${dns.scrapeBytes.toLocaleString('en')} bytes, round trip p50 ${fmt(dns.scrapeMs.p50)} ms, p99 ${fmt(dns.scrapeMs.p99)} ms) and not. **p99 scraped ÷ not scraped: ${fmt(dns.p99Ratio)}** (goal ≤ 1.1). Histograms: \`${hgrm.quiet}\`, \`${hgrm.scraped}\`.`,
      '',
      markdownTable(['phase', 'answered / sent', 'lost', 'wrong', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'], dnsRows),
      '',
    ].join('\n');
    return { summary, markdown, details };
  },
};

/** A `.hgrm` text (ms) of a compressed histogram (µs). */
function toHgrm(b64: string): string {
  const h = hdr.decodeFromCompressedBase64(b64);
  const text = h.outputPercentileDistribution(5, 1000);
  h.destroy();
  return text;
}
