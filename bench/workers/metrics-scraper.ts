/**
 * The admin benchmark's /metrics scraper as a process of its own (wiring
 * only; the loop is `scrapeUntil` in bench/metrics-scraper.ts):
 *
 *   node dist/bench/workers/metrics-scraper.js URL PERIOD_MS MAX_MS FAMILY
 *
 * Scrapes until its stdin closes (or MAX_MS), prints one JSON line, the
 * ScrapeResult, and exits. It lowers its own priority first (nice 19).
 */
import { constants, setPriority } from 'node:os';
import { scrapeUntil } from '../metrics-scraper.js';

const [url = '', period = '100', max = '60000', family = ''] = process.argv.slice(2);
if (!/^http:\/\/(127\.[\d.]+|\[::1\]):\d+\//.test(url)) {
  process.stderr.write(`metrics-scraper: ${url} is not a loopback URL\n`);
  process.exit(2);
}
try {
  setPriority(constants.priority.PRIORITY_LOW);
} catch {
  // not allowed here: the figure then includes the scraper's own CPU
}
const stdinClosed = new Promise<void>((resolve) => {
  process.stdin.on('end', resolve).on('close', resolve).resume();
});
const result = await scrapeUntil(url, Number(period), Number(max), family, stdinClosed);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
