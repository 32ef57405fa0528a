import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort, requireBuilt, RoleProcess } from './support/roles.js';
import { get } from './support/admin.js';
import { hasChromium, openBrowser, CHROMIUM } from './support/browser.js';

/**
 * The live page in a real (headless) Chromium against `urnd serve --demo`:
 * the grid's pixels, the counts, a demo flip, the hover details and the
 * record-set view, each compared with what /status and /explain say.
 */
const HOSTS = ['127.0.77.1', '127.0.77.2', '127.0.77.3', '127.0.77.4', '127.0.77.5', '127.0.77.6'];
const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;
const TICK_MS = 250;
// Refused connections fail at once: one interval to the next probe, its deadline at worst, one tick.
const DETECTION_BOUND_MS = INTERVAL_MS * 1 + TIMEOUT_MS + TICK_MS;
const COLORS = {
  unknown: [0x9a, 0xa0, 0xa6],
  healthy: [0x2e, 0x9e, 0x44],
  unhealthy: [0xd7, 0x26, 0x3d],
  unused: [0x26, 0x2d, 0x36],
} as const;

/** A cell of `capacity` slots: one http check a host (slot i), a multivalue and a failover set. */
function writeConfig(dir: string, name: string, capacity: number, port: number): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `cell: { name: ${name}, capacity: ${capacity} }`,
      'checks:',
      ...HOSTS.map(
        (h, i) =>
          `  - { id: c${i}, slot: ${i}, type: http, host: ${h}, port: ${port}, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, failureThreshold: 1 }`,
      ),
      `zones: [{ origin: ${name}.test }]`,
      'records:',
      `  - { name: pool.${name}.test, type: A, policy: multivalue, answers: [${HOSTS.map((h, i) => `{ value: ${h}, check: c${i} }`).join(', ')}] }`,
      `  - { name: fo.${name}.test, type: A, policy: failover, answers: [{ value: ${HOSTS[0]}, check: c0, role: primary }, { value: ${HOSTS[1]}, check: c1, role: secondary }] }`,
    ].join('\n'),
  );
  return file;
}

async function startServe(
  name: string,
  config: string,
  extra: string[],
): Promise<{ proc: RoleProcess; admin: string }> {
  const proc = new RoleProcess(name, [
    'serve',
    '-c',
    config,
    '--demo',
    '--admin',
    '127.0.0.1:0',
    '--tick-ms',
    String(TICK_MS),
    '--checkers',
    '1',
    ...extra,
  ]);
  const m = await proc.waitForLine(/admin on (http:\/\/[\d.:]+)/, 30_000);
  return { proc, admin: m[1] as string };
}

/** The colour drawn for `slot`, read back from the canvas. */
async function slotColor(page: Page, slot: number): Promise<number[]> {
  // A string, so the test compiles without the DOM types: the page's own mapping of slot to pixel, then the canvas's pixel.
  return page.evaluate<number[]>(`(() => {
    const p = window.urndPage.slotPixel(${slot});
    const d = document.getElementById('grid').getContext('2d').getImageData(p.x, p.y, 1, 1).data;
    return [d[0], d[1], d[2]];
  })()`);
}

async function pageCounts(page: Page): Promise<{ healthy: number; unhealthy: number; unknown: number } | null> {
  const raw = await page.getAttribute('#counts', 'data-counts');
  return raw === null ? null : (JSON.parse(raw) as { healthy: number; unhealthy: number; unknown: number });
}

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | null | false>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StatusDoc {
  checks: { id: string; slot: number; status: string; vantages: string[] | null }[];
}

describe.skipIf(!hasChromium)(`live page in headless Chromium (${CHROMIUM})`, () => {
  let dir: string;
  let serve: { proc: RoleProcess; admin: string };
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let port: number;

  beforeAll(async () => {
    requireBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'urnd-page-'));
    port = await freePort();
    serve = await startServe('serve-16k', writeConfig(dir, 'page16k', 16_384, port), [
      '--demo-period',
      '6',
      '--dns-listen',
      '127.0.0.1:0',
    ]);
    browser = await openBrowser();
    page = browser.page;
    await page.goto(serve.admin + '/');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.proc.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('draws known slots in their status colours and its counts match /status', async () => {
    // Wait for a moment when every check is healthy on the page (the demo starts them all up).
    await until('all 6 healthy on the page', 15_000, async () => (await pageCounts(page))?.healthy === 6);
    for (let s = 0; s < HOSTS.length; s++) expect(await slotColor(page, s)).toEqual([...COLORS.healthy]);
    expect(await slotColor(page, 100)).toEqual([...COLORS.unused]);
    expect(await slotColor(page, 16_383)).toEqual([...COLORS.unused]);
    // Counts as text, equal to /status counted by hand (retried across a flip in between).
    await until('page counts equal /status', 10_000, async () => {
      const doc = JSON.parse((await get(`${serve.admin}/status`)).body) as StatusDoc;
      const want = { healthy: 0, unhealthy: 0, unknown: 0 };
      for (const c of doc.checks) want[c.status as keyof typeof want] += 1;
      await page.waitForTimeout(0);
      const text = (await page.textContent('#counts')) ?? '';
      return text === `healthy ${want.healthy} · unhealthy ${want.unhealthy} · unknown ${want.unknown}`;
    });
  });

  it('turns a slot the demo takes down unhealthy within the detection bound plus one second', async () => {
    const from = serve.proc.lines.length;
    await serve.proc.waitForLine(/demo: taking down every other target/, 20_000, from);
    const t0 = Date.now();
    const table0 = (await (await fetch(`${serve.admin}/table`)).arrayBuffer()).byteLength;
    // The demo takes down endpoints 0, 2, 4: slots 0, 2, 4; slot 1 stays up.
    await until(
      'slot 0 drawn unhealthy',
      DETECTION_BOUND_MS + 1000 + 2000,
      async () => JSON.stringify(await slotColor(page, 0)) === JSON.stringify(COLORS.unhealthy),
    );
    const took = Date.now() - t0;
    expect(took).toBeLessThanOrEqual(DETECTION_BOUND_MS + 1000);
    expect(await slotColor(page, 1)).toEqual([...COLORS.healthy]);
    if (process.env.URND_PAGE_SCREENSHOT !== undefined) {
      await until('all three down', 5000, async () => (await pageCounts(page))?.unhealthy === 3);
      await page.mouse.click(...(await center(page, 2)));
      await page.waitForSelector('#detail[data-slot="2"]');
      await page.click('#records .set[data-name="fo.page16k.test"] a.open');
      await page.waitForFunction('document.querySelectorAll("#records .reasons")[1].textContent.length > 0');
      await page.screenshot({ path: process.env.URND_PAGE_SCREENSHOT });
      await page.click('#records .set[data-name="fo.page16k.test"] a.open');
      await page.mouse.click(...(await center(page, 2)));
    }
    // The same request, byte for byte in size, with half the checks down.
    expect((await (await fetch(`${serve.admin}/table`)).arrayBuffer()).byteLength).toBe(table0);
    expect(table0).toBe(80 + 16_384);
  });

  it('shows a hovered check the way /status does', async () => {
    await page.mouse.move(...(await center(page, 3)));
    await page.waitForSelector('#detail[data-slot="3"]');
    const doc = JSON.parse((await get(`${serve.admin}/status`)).body) as StatusDoc;
    const c = doc.checks.find((x) => x.slot === 3);
    expect(await page.textContent('#detail [data-field="check"]')).toBe(c?.id);
    expect(await page.textContent('#detail [data-field="target"]')).toMatch(
      new RegExp(`^http://${HOSTS[3]?.replace(/\./g, '\\.')}:${port}/`),
    );
    expect(await page.textContent('#detail [data-field="record-sets"]')).toBe('pool.page16k.test A');
    const status = (await page.textContent('#detail [data-field="status"]')) ?? '';
    expect(['healthy', 'unhealthy']).toContain(status);
    expect(await page.textContent('#detail [data-field="vantages"]')).toMatch(/^0: (healthy|unhealthy)$/);
  });

  it('lists each record set with the answers in and out as explain says', async () => {
    for (const name of ['pool.page16k.test', 'fo.page16k.test']) {
      await until(`${name} on the page matches /explain`, 10_000, async () => {
        const e = JSON.parse((await get(`${serve.admin}/explain?name=${name}&type=A`)).body) as {
          recordSets: { candidates: { value: string; eligible: boolean }[] }[];
        };
        const want = (e.recordSets[0]?.candidates ?? []).map((c) => `${c.value}=${String(c.eligible)}`).join(' ');
        const got = await page.$$eval(`#records .set[data-name="${name}"] tr`, (rows) =>
          rows.map((r) => `${r.getAttribute('data-value') ?? ''}=${r.getAttribute('data-eligible') ?? ''}`).join(' '),
        );
        return want !== '' && got === want;
      });
    }
    // Opening a set shows the resolver's own words for it.
    await page.click('#records .set[data-name="fo.page16k.test"] a.open');
    await until('fo.page16k.test reasons shown as /explain words them', 10_000, async () => {
      const e = JSON.parse((await get(`${serve.admin}/explain?name=fo.page16k.test&type=A`)).body) as {
        recordSets: { outcome: string; candidates: { value: string; reason: string }[] }[];
      };
      const set = e.recordSets[0];
      const shown = (await page.textContent('#records .set[data-name="fo.page16k.test"] .reasons')) ?? '';
      return (
        set !== undefined &&
        shown.startsWith(set.outcome) &&
        set.candidates.every((c) => shown.includes(`${c.value}: ${c.reason}`))
      );
    });
  });
});

async function center(page: Page, slot: number): Promise<[number, number]> {
  const p = await page.evaluate<{ x: number; y: number }>(`window.urndPage.slotCenter(${slot})`);
  return [p.x, p.y];
}
