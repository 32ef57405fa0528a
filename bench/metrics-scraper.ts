/**
 * A /metrics scraper for the admin benchmark, run as a process of its own
 * (`workers/metrics-scraper.ts`) at the lowest CPU priority: a real
 * Prometheus scrapes from another host, so on this 2-core machine the
 * scraper's own work (reading and checking 140 KB ten times a second) must
 * not be what delays the DNS loader's replies. What stays on the machine
 * at normal priority is what urnd does to serve the scrape.
 *
 * One scrape at a time (a slow one is not stacked); node:http, the body
 * kept as bytes and checked for the per-check family without decoding.
 */
import http from 'node:http';
import * as hdr from 'hdr-histogram-js';
import { latencyHistogram } from './dns-load.js';

/** What a scraper process prints when it stops: one JSON line. */
export interface ScrapeResult {
  readonly scrapes: number;
  /** The last scrape's size. */
  readonly bytes: number;
  /** Round trips in µs, a compressed HDR histogram. */
  readonly histogram: string;
  /** The first failure (a status other than 200, a body without `family`, no answer in 5 s), or null. */
  readonly error: string | null;
}

/** Scrapes `url` every `periodMs` until `stopped` resolves or `maxMs` passes; `family` must appear in each body. */
export async function scrapeUntil(
  url: string,
  periodMs: number,
  maxMs: number,
  family: string,
  stopped: Promise<void>,
): Promise<ScrapeResult> {
  const seen = latencyHistogram();
  const mark = Buffer.from(family);
  let scrapes = 0;
  let bytes = 0;
  let error: string | null = null;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get(url, { timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (res.statusCode !== 200 || body.indexOf(mark) < 0) {
            reject(new Error(`scrape: HTTP ${res.statusCode}, ${body.length} bytes without ${family}`));
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
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = inFlight.then(once).catch((err: unknown) => {
      error ??= (err as Error).message;
    });
  }, periodMs);
  const bound = new Promise<void>((resolve) => setTimeout(resolve, maxMs).unref());
  await Promise.race([stopped, bound]);
  clearInterval(timer);
  await inFlight;
  const result = { scrapes, bytes, histogram: hdr.encodeIntoCompressedBase64(seen), error };
  seen.destroy();
  return result;
}
