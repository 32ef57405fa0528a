import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort, requireBuilt, RoleProcess } from './support/roles.js';
import { hasChromium, openBrowser, CHROMIUM } from './support/browser.js';

/**
 * The live page at the largest capacity (2^20 slots): every second it
 * fetches and draws the whole table, and a draw stays a small part of that
 * second, while the demo flips half the checks. Frame times are printed.
 */
const CAPACITY = 1_048_576;
const HOSTS = ['127.0.78.1', '127.0.78.2', '127.0.78.3', '127.0.78.4'];

interface PageState {
  frames: number;
  lastDrawMs: number;
  maxDrawMs: number;
  bytes: number;
  capacity: number;
}

describe.skipIf(!hasChromium)(`live page at ${CAPACITY} slots in headless Chromium (${CHROMIUM})`, () => {
  let dir: string;
  let proc: RoleProcess;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'urnd-page1m-'));
    const port = await freePort();
    const file = path.join(dir, 'cell.yaml');
    writeFileSync(
      file,
      [
        `cell: { name: big, capacity: ${CAPACITY} }`,
        'checks:',
        ...HOSTS.map(
          (h, i) =>
            `  - { id: b${i}, slot: ${i * 262_144}, type: http, host: ${h}, port: ${port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
        ),
        'zones: [{ origin: big.test }]',
        'records:',
        `  - { name: pool.big.test, type: A, policy: multivalue, answers: [${HOSTS.map((h, i) => `{ value: ${h}, check: b${i} }`).join(', ')}] }`,
      ].join('\n'),
    );
    proc = new RoleProcess('serve-1m', [
      'serve',
      '-c',
      file,
      '--demo',
      '--demo-period',
      '2',
      '--no-dns',
      '--admin',
      '127.0.0.1:0',
      '--tick-ms',
      '250',
      '--checkers',
      '1',
    ]);
    const admin = (await proc.waitForLine(/admin on (http:\/\/[\d.:]+)/, 30_000))[1] as string;
    browser = await openBrowser();
    page = browser.page;
    await page.goto(admin + '/');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proc?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the whole table every second, each draw a small part of the second, through demo flips', async () => {
    const state = () =>
      page.evaluate<PageState>(
        '(() => { const s = window.urndPage.state; return { frames: s.frames, lastDrawMs: s.lastDrawMs, maxDrawMs: s.maxDrawMs, bytes: s.bytes, capacity: s.capacity }; })()',
      );
    const t0 = Date.now();
    while ((await state()).frames < 2) {
      if (Date.now() - t0 > 15_000) throw new Error('the page never drew twice');
      await page.waitForTimeout(100);
    }
    const first = await state();
    expect(first.capacity).toBe(CAPACITY);
    expect(first.bytes).toBe(80 + CAPACITY);
    // Six seconds: three demo flips (every 2 s), a fetch and a full draw each second.
    const from = proc.lines.length;
    await page.waitForTimeout(6000);
    const after = await state();
    expect(proc.lines.slice(from).filter((l) => l.includes('demo: ')).length).toBeGreaterThanOrEqual(2);
    expect(after.frames - first.frames).toBeGreaterThanOrEqual(4);
    // Responsive: the worst draw (after the first two, which include JIT warm-up) leaves most of the second free.
    console.log(
      `page at ${CAPACITY} slots: last draw ${after.lastDrawMs.toFixed(1)} ms, worst ${after.maxDrawMs.toFixed(1)} ms over ${after.frames} frames, ${after.bytes} bytes a fetch`,
    );
    expect(after.maxDrawMs).toBeLessThan(250);
    // The page answers input while it runs: a round trip through its event loop.
    const rt0 = Date.now();
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => r(0)))');
    expect(Date.now() - rt0).toBeLessThan(1000);
    // Unused slots at the far end are drawn too; the checks' slots are drawn by status.
    const far = await page.evaluate<number[]>(
      "(() => { const p = window.urndPage.slotPixel(1048575); const d = document.getElementById('grid').getContext('2d').getImageData(p.x, p.y, 1, 1).data; return [d[0], d[1], d[2]]; })()",
    );
    expect(far).toEqual([0x26, 0x2d, 0x36]);
  });
});
