import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Status } from '../src/table/layout.js';
import { TABLE_HEADER_BYTES, TableField } from '../src/admin/page/index.js';
import { requireBuilt } from './support/roles.js';
import { FedDns } from './support/fed-dns.js';
import { hasChromium, openBrowser } from './support/browser.js';

/**
 * The live page of `urnd dns`: /table carries the status bytes as the last
 * frame left them, the aggregator epoch and frame sequence it follows, and
 * the table's age, which grows once frames stop while the bytes stay (the
 * last good table). The test is the aggregator: a SnapshotEncoder and
 * FramePublisher pushing every 200 ms. In a browser, the header says it.
 */
let cell: FedDns;
let admin: string;

beforeAll(async () => {
  requireBuilt();
  cell = await FedDns.start(
    'pagedns',
    64,
    [
      '  - { id: a, slot: 0, type: tcp, host: 127.0.45.1, port: 9 }',
      '  - { id: b, slot: 1, type: tcp, host: 127.0.45.2, port: 9 }',
    ],
    [
      '  - { name: www.pagedns.test, type: A, policy: multivalue, answers: [{ value: 127.0.45.1, check: a }, { value: 127.0.45.2, check: b }] }',
    ],
  );
  admin = cell.admin;
  cell.table.set(0, Status.HEALTHY);
  cell.table.set(1, Status.UNHEALTHY);
}, 30_000);

afterAll(async () => {
  await cell?.stop();
});

async function readTable(): Promise<{ head: Float64Array; bytes: Uint8Array }> {
  const buf = await (await fetch(`${admin}/table`)).arrayBuffer();
  return { head: new Float64Array(buf.slice(0, TABLE_HEADER_BYTES)), bytes: new Uint8Array(buf, TABLE_HEADER_BYTES) };
}

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | null>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('live page of urnd dns', () => {
  it('follows the frames: epoch, sequence, age, and the last good table once they stop', async () => {
    const before = await readTable();
    expect(before.head[TableField.TABLE_AGE_SEC]).toBe(-1);
    expect(before.head[TableField.EPOCH]).toBe(-1);

    cell.startPushing(200);
    const first = await until('a frame applied', 10_000, async () => {
      const t = await readTable();
      return t.head[TableField.EPOCH] === cell.encoder.epoch ? t : null;
    });
    expect(first.bytes[0]).toBe(Status.HEALTHY);
    expect(first.bytes[1]).toBe(Status.UNHEALTHY);
    expect(first.bytes.length).toBe(64);
    expect(first.head[TableField.TABLE_AGE_SEC]).toBeLessThan(1);
    const seq = first.head[TableField.TICKS] as number;
    await until('a later frame', 5000, async () =>
      ((await readTable()).head[TableField.TICKS] as number) > seq ? true : null,
    );

    if (hasChromium) {
      const b = await openBrowser();
      try {
        await b.page.goto(`${admin}/`);
        await b.page.waitForFunction(
          `document.getElementById('epoch').textContent.startsWith('follows epoch ${cell.encoder.epoch} frame ')`,
        );
        expect(await b.page.textContent('#role')).toBe('dns');
        expect(await b.page.textContent('#counts')).toBe('healthy 1 · unhealthy 1 · unknown 0');
      } finally {
        await b.close();
      }
    } else {
      console.log('chromium missing: the browser part of this test is skipped');
    }

    // Frames stop: the table ages, its bytes stay.
    cell.stopPushing();
    const stale = await until('table older than 1.5 s', 10_000, async () => {
      const t = await readTable();
      return (t.head[TableField.TABLE_AGE_SEC] as number) > 1.5 ? t : null;
    });
    expect(Array.from(stale.bytes.subarray(0, 2))).toEqual([Status.HEALTHY, Status.UNHEALTHY]);
    expect(stale.head[TableField.EPOCH]).toBe(cell.encoder.epoch);
  });
});
