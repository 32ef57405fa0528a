import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Status } from '../src/table/layout.js';
import { requireBuilt, resolve4, waitForAnswers } from './support/roles.js';
import { FedDns } from './support/fed-dns.js';
import { get, hasBinary, sampleValue } from './support/admin.js';
import { addresses, queryUdp, rcode } from './support/dns-client.js';

/**
 * A fresh `urnd dns` (one process, and two with `--workers 2`) knows nothing
 * before its first status frame: it answers SERVFAIL — to dig and to Node's
 * resolver — never the all-unknown table's "every target". The test is the
 * aggregator (FedDns): once it pushes a table in which target B is down,
 * answers leave B out, and after it stops pushing they keep doing so from
 * the last good table, never SERVFAIL again (static stability).
 */
const A = '127.0.45.1';
const B = '127.0.45.2';
const QUERIES = 24;

/** The newest status line's SERVFAIL count (and per-process answers with --workers), once it reaches `atLeast` or 5 s pass. */
async function counted(cell: FedDns, atLeast: number): Promise<{ servfail: number; answered: number[] }> {
  const t0 = Date.now();
  for (;;) {
    const m = cell.dns.last(/\| dns \d+ q\/s.*servfail (\d+)/);
    const servfail = Number(m?.[1] ?? 0);
    const answered = (cell.dns.last(/answered ([\d+]+)/)?.[1] ?? '')
      .split('+')
      .filter((x) => x !== '')
      .map(Number);
    if (servfail >= atLeast || Date.now() - t0 > 5000) return { servfail, answered };
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const workers of [1, 2]) {
  describe(`urnd dns${workers > 1 ? ` --workers ${workers}` : ''} before and after its first frame`, () => {
    const name = `www.first${workers}.test`;
    let cell: FedDns;

    beforeAll(async () => {
      requireBuilt();
      cell = await FedDns.start(
        `first${workers}`,
        64,
        [
          `  - { id: a, slot: 0, type: tcp, host: ${A}, port: 9 }`,
          `  - { id: b, slot: 1, type: tcp, host: ${B}, port: 9 }`,
        ],
        [
          `  - { name: ${name}, type: A, policy: multivalue, answers: [{ value: ${A}, check: a }, { value: ${B}, check: b }] }`,
        ],
        workers > 1 ? ['--workers', String(workers)] : [],
      );
    }, 30_000);

    afterAll(async () => {
      await cell?.stop();
    });

    it('answers SERVFAIL until the first frame, then leaves the down target out for good, frames or not', async () => {
      await cell.dns.waitForLine(/^urnd dns: answering SERVFAIL until the first status frame$/, 5000);
      const port = cell.dnsPort;

      // Raw UDP from fresh sockets (the kernel spreads them over the processes): SERVFAIL, question echoed, no AA.
      const burst = async (): Promise<void> => {
        const replies = await Promise.all(Array.from({ length: QUERIES }, () => queryUdp(port, name)));
        expect(replies.map((r) => `${rcode(r)} ${addresses(r).join(',')}`)).toEqual(replies.map(() => 'SERVFAIL '));
        for (const r of replies) {
          expect(r.flag_aa).toBe(false);
          expect(r.questions?.[0]?.name).toBe(name);
        }
      };
      await burst();
      let held = QUERIES;
      if (workers > 1) {
        // Every process held: each one's answers so far (all of them SERVFAIL) are above 0. Bounded: 5 more bursts.
        for (let k = 0; k < 5; k++) {
          const counts = await counted(cell, held);
          if (counts.answered.every((n) => n > 0)) break;
          await burst();
          held += QUERIES;
        }
        const counts = await counted(cell, held);
        expect(counts.answered).toHaveLength(workers);
        expect(
          counts.answered.every((n) => n > 0),
          JSON.stringify(counts),
        ).toBe(true);
      }
      // Node's resolver sees ESERVFAIL.
      expect(await resolve4(port, name)).toBe('ERROR ESERVFAIL');
      held++;
      if (hasBinary('dig')) {
        const dig = spawnSync('dig', [`@127.0.0.1`, '-p', String(port), name, 'A', '+tries=1', '+time=2'], {
          encoding: 'utf8',
        });
        expect(dig.stdout).toMatch(/status: SERVFAIL/);
        expect(dig.stdout).toMatch(/;; flags: qr rd;/); // no aa
        expect(dig.stdout).toMatch(/OPT PSEUDOSECTION/); // dig sends EDNS: the OPT comes back, as for other errors
        held++;
      }
      // The status line counts what was held.
      expect((await counted(cell, held)).servfail).toBeGreaterThanOrEqual(held);
      if (workers === 1) {
        const m = (await get(`${cell.admin}/metrics`)).body;
        expect(sampleValue(m, 'urnd_dns_responses_total{rcode="servfail"}')).toBeGreaterThanOrEqual(held);
      }

      // The first frame: A up, B down.
      cell.table.set(0, Status.HEALTHY);
      cell.table.set(1, Status.UNHEALTHY);
      cell.startPushing(200);
      await cell.dns.waitForLine(/^urnd dns: first status frame applied \(seq \d+, [\d.]+ s after start\)/, 5000);
      await waitForAnswers([port], name, [A], 10_000);
      // With --workers each DNS process takes its own first frame: wait (bounded) until a burst from
      // fresh sockets, spread over every process, is answered whole.
      const burstOk = async () =>
        (await Promise.all(Array.from({ length: QUERIES }, () => queryUdp(port, name)))).every(
          (r) => `${rcode(r)} ${addresses(r).join(',')}` === `NOERROR ${A}`,
        );
      for (const t1 = Date.now(); !(await burstOk()) && Date.now() - t1 < 10_000; )
        await new Promise((r) => setTimeout(r, 100));

      // Frames stop: the last good table stands, every process answers from it (2 s, 10 rounds).
      cell.stopPushing();
      const t0 = Date.now();
      for (let round = 0; round < 10 && Date.now() - t0 < 5000; round++) {
        const after = await Promise.all(Array.from({ length: QUERIES }, () => queryUdp(port, name)));
        expect(after.map((r) => `${rcode(r)} ${addresses(r).join(',')}`)).toEqual(after.map(() => `NOERROR ${A}`));
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(Date.now() - cell.lastPushAtMs).toBeGreaterThan(1500);
      expect(await resolve4(port, name)).toEqual([A]);
    }, 40_000);
  });
}
