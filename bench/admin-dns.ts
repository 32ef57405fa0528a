/**
 * Does serving `/metrics` delay a DNS answer? One `urnd serve` (1,000 tcp
 * checks against a listener of this process, every 10 s; 1,000 per-check
 * status and last-failure series in each scrape), DNS at a fixed rate from
 * the built-in loader (its own process, latency from each query's intended
 * send time), in phases of the same length that alternate between "not
 * scraped" and "/metrics scraped every 100 ms", starting with either in
 * turn, so drift on a shared machine hits both. The row is p99 scraped ÷
 * p99 not scraped, from the merged histograms of each kind of phase.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { Serve, runNodeLoader } from './dns-children.js';
import { latencyHistogram, type LoadResult } from './dns-load.js';

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
 * Scrapes `url` every `periodMs` until stopped; one scrape at a time (a slow
 * one is not stacked). A real Prometheus scrapes from another host: here the
 * scraper shares the 2 cores, so it does as little as it can — node:http,
 * the body kept as bytes, checked for the per-check family without decoding.
 */
function startScraper(url: string, periodMs: number, seen: hdr.Histogram) {
  let stopped = false;
  let scrapes = 0;
  let bytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get(url, { timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (res.statusCode !== 200 || body.indexOf(FAMILY) < 0) {
            reject(new Error(`scrape: HTTP ${res.statusCode}, ${body.length} bytes without per-check series`));
            return;
          }
          seen.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
          scrapes += 1;
          bytes = body.length;
          resolve();
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('scrape: no answer in 5 s')));
      req.on('error', reject);
    });
  let failure: unknown = null;
  const timer = setInterval(() => {
    if (stopped) return;
    inFlight = inFlight.then(once).catch((err: unknown) => {
      failure = err;
    });
  }, periodMs);
  return {
    async stop(): Promise<{ scrapes: number; bytes: number }> {
      stopped = true;
      clearInterval(timer);
      await inFlight;
      if (failure !== null) throw failure;
      return { scrapes, bytes };
    },
  };
}

const FAMILY = Buffer.from('urnd_check_last_failure_info{');

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
  try {
    serve = await Serve.start(configPath, ['--admin', '127.0.0.1:0']);
    const adminLine = await serve.proc.waitForLine((l) => /admin on http:\/\//.test(l), 20_000, 'the admin start line');
    const admin = /admin on (http:\/\/[\d.:]+)/.exec(adminLine)?.[1] as string;
    await serve.waitForStatus(CHECKS, 0, 30_000);
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
    const warm = startScraper(`${admin}/metrics`, 100, latencyHistogram());
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
        const scraper = kind === 'scraped' ? startScraper(`${admin}/metrics`, 100, scrapeSeen) : null;
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
    await serve?.proc.stop();
    await new Promise((r) => target.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}
