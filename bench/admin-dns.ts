/**
 * Does serving `/metrics` delay a DNS answer? One `urnd serve` (1,000 tcp
 * checks against a listener of this process, every 10 s; 1,000 per-check
 * status and last-failure series in each scrape), DNS at a fixed rate from
 * the built-in loader (its own process, latency from each query's intended
 * send time), in phases of the same length that alternate between "not
 * scraped" and "/metrics scraped every 100 ms" (by a scraper process at
 * nice 19: metrics-scraper.ts says why; urnd on one core, the loader and
 * the scraper on the other), starting with either in
 * turn, so drift on a shared machine hits both. The row is p99 scraped ÷
 * p99 not scraped, from the merged histograms of each kind of phase.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { here, LineChild, Serve, runNodeLoader } from './dns-children.js';
import { latencyHistogram, type LoadResult } from './dns-load.js';
import { affinityOf, cpuPlan, pinThreads, pinTree } from './dns-overload-cpus.js';
import type { ScrapeResult } from './metrics-scraper.js';

export interface ScrapedDnsResult {
  readonly rate: number;
  readonly phaseMs: number;
  readonly rounds: number;
  readonly checks: number;
  readonly quiet: PhaseSummary;
  readonly scraped: PhaseSummary;
  /** p99 scraped ÷ p99 not scraped. */
  readonly p99Ratio: number;
  readonly scrapes: number;
  readonly scrapeBytes: number;
  /** Scrape round trips, ms (p50, p99, max), as the scraper saw them. */
  readonly scrapeMs: { p50: number; p99: number; max: number };
  readonly histograms: { quiet: string; scraped: string };
}

interface PhaseSummary {
  sent: number;
  completed: number;
  lost: number;
  wrong: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const CHECKS = 1000;
const ZONE = 'scrape.test';

function config(targetPort: number): object {
  return {
    cell: { name: 'scrapebench', capacity: 16_384 },
    checks: Array.from({ length: CHECKS }, (_, i) => ({
      id: `c${i}`,
      slot: i,
      type: 'tcp',
      host: '127.0.0.1',
      port: targetPort,
      interval: '10s',
      timeout: '1s',
      failureThreshold: 1,
    })),
    zones: [{ origin: ZONE, ttl: 60 }],
    records: [
      {
        name: `www.${ZONE}`,
        type: 'A',
        policy: 'multivalue',
        answers: Array.from({ length: 8 }, (_, i) => ({ value: `127.0.44.${i + 1}`, check: `c${i}` })),
      },
    ],
  };
}

function summarize(h: hdr.Histogram, runs: readonly LoadResult[]): PhaseSummary {
  const sum = (k: 'sent' | 'completed' | 'lost' | 'wrong') => runs.reduce((t, r) => t + r[k], 0);
  return {
    sent: sum('sent'),
    completed: sum('completed'),
    lost: sum('lost'),
    wrong: sum('wrong'),
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    p999Ms: h.getValueAtPercentile(99.9) / 1000,
    maxMs: h.maxValue / 1000,
  };
}

/**
 * Starts the scraper process (workers/metrics-scraper.ts, nice 19: it
 * stands for a Prometheus on another host) scraping `url` every `periodMs`;
 * `stop()` closes its stdin, merges its round trips into `seen` and says
 * how many scrapes it made. A failed scrape fails the phase.
 */
function startScraper(url: string, periodMs: number, seen: hdr.Histogram, maxMs: number) {
  const proc = new LineChild('metrics scraper', process.execPath, [
    here('./workers/metrics-scraper.js'),
    url,
    String(periodMs),
    String(maxMs),
    FAMILY,
  ]);
  return {
    async stop(): Promise<{ scrapes: number; bytes: number }> {
      try {
        proc.child.stdin?.end();
        const line = await proc.waitForLine((l) => l.startsWith('{'), 10_000, 'the scraper result');
        const result = JSON.parse(line) as ScrapeResult;
        if (result.error !== null) throw new Error(result.error);
        seen.add(hdr.decodeFromCompressedBase64(result.histogram));
        return { scrapes: result.scrapes, bytes: result.bytes };
      } finally {
        await proc.stop(2000);
      }
    },
  };
}

const FAMILY = 'urnd_check_last_failure_info{';

export async function scrapedDnsP99(opts: { quick: boolean; log: (m: string) => void }): Promise<ScrapedDnsResult> {
  const rate = 2000;
  // Short phases, many of them, alternating: the machine's noise moves in seconds, not per phase kind.
  const phaseMs = opts.quick ? 1000 : 2000;
  const rounds = opts.quick ? 2 : 10;
  const target = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(path.join(tmpdir(), 'urnd-admin-dns-'));
  const configPath = path.join(dir, 'cell.json');
  writeFileSync(configPath, JSON.stringify(config((target.address() as net.AddressInfo).port)));
  let serve: Serve | null = null;
  const cpus = cpuPlan();
  const ownCpus = affinityOf(process.pid);
  try {
    serve = await Serve.start(configPath, ['--admin', '127.0.0.1:0']);
    const adminLine = await serve.proc.waitForLine((l) => /admin on http:\/\//.test(l), 20_000, 'the admin start line');
    const admin = /admin on (http:\/\/[\d.:]+)/.exec(adminLine)?.[1] as string;
    await serve.waitForStatus(CHECKS, 0, 30_000);
    // urnd (every thread) on one core, this process and what it starts next
    // (loader, scraper) on the other: a scrape then reaches DNS answers only
    // through the core the two share in urnd, not through the rig's processes.
    if (cpus.pinned) {
      pinTree(serve.proc.child.pid as number, cpus.server);
      pinThreads(process.pid, cpus.loader);
    }
    const spec = {
      host: '127.0.0.1',
      port: serve.port,
      mode: 'rate' as const,
      rate,
      outstanding: 0,
      durationMs: phaseMs,
      maxQueries: Math.ceil((rate * phaseMs) / 1000),
      timeoutMs: 1000,
      names: [`www.${ZONE}`],
    };
    // Warm-up: the loader, the resolver thread and the scrape path's JIT.
    const warm = startScraper(`${admin}/metrics`, 100, latencyHistogram(), 30_000);
    await runNodeLoader({ ...spec, durationMs: 1000, maxQueries: rate });
    await warm.stop();

    const merged = { quiet: latencyHistogram(), scraped: latencyHistogram() };
    const runs: { quiet: LoadResult[]; scraped: LoadResult[] } = { quiet: [], scraped: [] };
    const scrapeSeen = latencyHistogram();
    let scrapes = 0;
    let scrapeBytes = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['quiet', 'scraped'] as const) : (['scraped', 'quiet'] as const);
      for (const kind of order) {
        const scraper = kind === 'scraped' ? startScraper(`${admin}/metrics`, 100, scrapeSeen, phaseMs + 30_000) : null;
        const result = await runNodeLoader(spec);
        const s = await scraper?.stop();
        if (s !== undefined) {
          scrapes += s.scrapes;
          scrapeBytes = s.bytes;
        }
        if (result.histogram !== null) merged[kind].add(hdr.decodeFromCompressedBase64(result.histogram));
        runs[kind].push(result);
        opts.log(
          `admin-scrape dns round ${round + 1}/${rounds}, ${kind}: ${result.completed}/${result.sent} answered, lost ${result.lost}${s === undefined ? '' : `, ${s.scrapes} scrapes`}`,
        );
      }
    }
    const quiet = summarize(merged.quiet, runs.quiet);
    const scraped = summarize(merged.scraped, runs.scraped);
    return {
      rate,
      phaseMs,
      rounds,
      checks: CHECKS,
      quiet,
      scraped,
      p99Ratio: scraped.p99Ms / quiet.p99Ms,
      scrapes,
      scrapeBytes,
      scrapeMs: {
        p50: scrapeSeen.getValueAtPercentile(50) / 1000,
        p99: scrapeSeen.getValueAtPercentile(99) / 1000,
        max: scrapeSeen.maxValue / 1000,
      },
      histograms: {
        quiet: hdr.encodeIntoCompressedBase64(merged.quiet),
        scraped: hdr.encodeIntoCompressedBase64(merged.scraped),
      },
    };
  } finally {
    if (cpus.pinned && ownCpus !== null) pinThreads(process.pid, ownCpus);
    await serve?.proc.stop();
    await new Promise((r) => target.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}
