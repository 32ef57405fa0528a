import { describe, expect, it } from 'vitest';
import {
  RSS_ABSOLUTE_TOLERANCE_KB,
  Truth,
  answerCorrect,
  answerSafe,
  envelope,
  judgeHost,
  maxStaleness,
  parseDnsperf,
  resourceDelta,
  type QueryRecord,
} from '../faults/invariants.js';
import { configDocument, convergenceBoundMs, ownerPid, planTopology, targetOfAddr } from '../faults/topology.js';
import { compileConfig } from '../src/config/index.js';
import { parseConfigText } from '../src/config/load.js';

/**
 * The fault harness's pure parts: its topology and config document, and
 * the invariants judged against recorded answers. The namespace run itself
 * is `npm run faults`.
 */
const BOUND = 1000;
const rec = (t: number, s: number, a: number[] | null, h = 0): QueryRecord => ({
  t,
  h,
  s,
  a,
  rc: a === null ? 'TIMEOUT' : 'NOERROR',
});
const set0 = [0, 1, 2, 3, 4, 5, 6, 7];

describe('fault cell topology', () => {
  it('plans distinct private addresses and prefixed names, and a document urnd accepts', () => {
    const topo = planTopology(4242);
    expect(new Set(topo.hosts.map((h) => h.addr)).size).toBe(topo.hosts.length);
    for (const h of topo.hosts) {
      expect(h.ns.startsWith('urndf-4242-')).toBe(true);
      expect(h.addr).toMatch(/^10\.213\.0\.\d+$/);
      expect(h.veth.length).toBeLessThanOrEqual(15);
    }
    expect(ownerPid(topo.bridgeNs)).toBe(4242);
    expect(ownerPid('other-4242-x')).toBeUndefined();
    expect(topo.targetAddrs.map(targetOfAddr)).toEqual(topo.targetAddrs.map((_, i) => i));
    const plan = compileConfig(parseConfigText(configDocument(topo)));
    expect(plan.aggregator.vantages).toBe(3);
    expect(convergenceBoundMs()).toBeGreaterThan(0);
  });
});

describe('fault invariants', () => {
  it('wants exactly the up targets of a set once the bound has passed, and fails open when all are down', () => {
    const truth = new Truth();
    truth.set(1000, [1], false);
    expect(answerCorrect(rec(1500, 0, set0), truth, BOUND)).toBe(true); // within the bound: either
    expect(answerCorrect(rec(2500, 0, set0), truth, BOUND)).toBe(false); // down target still answered
    expect(answerCorrect(rec(2500, 0, [0, 2, 3, 4, 5, 6, 7]), truth, BOUND)).toBe(true);
    expect(answerCorrect(rec(2500, 0, [0, 2, 3]), truth, BOUND)).toBe(false); // up targets missing
    truth.set(3000, set0, false);
    expect(answerCorrect(rec(4500, 0, [5]), truth, BOUND)).toBe(true); // all down: any answer
    expect(answerCorrect(rec(4500, 0, []), truth, BOUND)).toBe(false);
    // Some members down for long, the rest just gone down: none known up, so the whole set (fail open) is right.
    const t2 = new Truth();
    t2.set(1000, [1, 2], false);
    t2.set(5000, set0, false);
    expect(answerCorrect(rec(5500, 0, set0), t2, BOUND)).toBe(true);
    expect(answerCorrect(rec(5500, 0, [0, 1, 3]), t2, BOUND)).toBe(false); // a known-down one, not failing open
    expect(answerCorrect(rec(4500, 0, set0), t2, BOUND)).toBe(false); // before: the others were known up
  });

  it('counts losses, wrong answers, flips and the time to converge of one host', () => {
    const truth = new Truth();
    truth.set(1000, [1], false);
    truth.set(6000, [1], true); // the fault ends at 6000 and target 1 comes back
    const without1 = [0, 2, 3, 4, 5, 6, 7];
    const records = [
      rec(2100, 0, without1),
      rec(2200, 0, null),
      rec(3000, 0, set0), // back in while down: a flip, and wrong
      rec(4000, 0, without1),
      rec(4000, 0, set0, 1), // another host: not judged here
      rec(6200, 0, without1), // lagging after the fault's end
      rec(7300, 0, set0), // right again 1300 ms after the end
      rec(8000, 0, set0),
    ];
    const v = judgeHost(records, 0, truth, BOUND, 6000);
    expect(v).toMatchObject({ sent: 7, answered: 6, lost: 1, wrong: 1, flips: 1, convergeMs: 1300 });
    // Lagging past the bound after the end is wrong, and a host whose last answer is wrong never converged.
    const v2 = judgeHost([...records, rec(9000, 0, without1)], 0, truth, BOUND, 6000);
    expect(v2.convergeMs).toBeNull();
    expect(v2.wrong).toBe(2);
  });

  it('exempts an isolated host from changes made while it was cut off, until the bound after the fault', () => {
    const truth = new Truth();
    truth.set(2000, [1], false); // made while the host was cut off (1000–6000)
    const blind = { from: 1000, until: 6000 };
    const stale = rec(5000, 0, set0); // still answers its last good table
    expect(answerCorrect(stale, truth, BOUND)).toBe(false);
    expect(answerCorrect(stale, truth, BOUND, blind)).toBe(true);
    expect(answerCorrect(rec(6500, 0, set0), truth, BOUND, blind)).toBe(true); // within the bound after the end
    expect(answerCorrect(rec(7500, 0, set0), truth, BOUND, blind)).toBe(false); // past it: must have converged
    const v = judgeHost([stale, rec(7500, 0, [0, 2, 3, 4, 5, 6, 7])], 0, truth, BOUND, 6000, 0, { blind });
    expect(v).toMatchObject({ wrong: 0, convergeMs: 1500 });
  });

  it('takes a SERVFAIL as no answer only before servfailUntil (a restarted DNS process before its first frame)', () => {
    const truth = new Truth();
    truth.set(0, [1], false);
    const servfail = (t: number): QueryRecord => ({ t, h: 0, s: 0, a: [], rc: 'SERVFAIL' });
    const right = rec(3000, 0, [0, 2, 3, 4, 5, 6, 7]);
    expect(judgeHost([servfail(2000), right], 0, truth, BOUND, 1000)).toMatchObject({ wrong: 1, servfail: 0 });
    const held = judgeHost([servfail(2000), right], 0, truth, BOUND, 1000, 0, { servfailUntil: 2500 });
    expect(held).toMatchObject({ wrong: 0, servfail: 1, flips: 0, convergeMs: 2000 });
    expect(judgeHost([servfail(2600), right], 0, truth, BOUND, 1000, 0, { servfailUntil: 2500 }).wrong).toBe(1);
  });

  it('while probes lose packets, allows up targets left out and fail-open, never a down target alone', () => {
    const truth = new Truth();
    truth.set(1000, [1], false);
    expect(answerSafe(rec(3000, 0, [0, 3]), truth, BOUND)).toBe(true); // up targets left out: the probes failed
    expect(answerSafe(rec(3000, 0, set0), truth, BOUND)).toBe(true); // the whole set: fail open
    expect(answerSafe(rec(3000, 0, [0, 1]), truth, BOUND)).toBe(false); // a down target, not failing open
    expect(answerSafe(rec(3000, 0, []), truth, BOUND)).toBe(false);
    const records = [rec(2500, 0, [0, 2]), rec(3000, 0, set0), rec(4000, 0, [0, 2]), rec(4500, 0, [0, 1])];
    const v = judgeHost(records, 0, truth, BOUND, 5000, 0, { lenientUntil: 6000 });
    // Fail-open is no flip; target 1 answered without the whole set is wrong, and back in while down: a flip.
    expect(v).toMatchObject({ wrong: 1, flips: 1 });
  });

  it('judges resources by growth: shrinking and closed connections hold; RSS may grow by max(5%, 32 MiB)', () => {
    const b = { threads: 13, sockets: 10, rssKb: 100_000 };
    expect(resourceDelta(b, { threads: 13, sockets: 9, rssKb: 80_000 }).held).toBe(true);
    expect(resourceDelta(b, { threads: 13, sockets: 10, rssKb: 100_000 + RSS_ABSOLUTE_TOLERANCE_KB }).held).toBe(true);
    expect(resourceDelta(b, { threads: 13, sockets: 10, rssKb: 100_001 + RSS_ABSOLUTE_TOLERANCE_KB }).held).toBe(false);
    expect(resourceDelta(b, { threads: 13, sockets: 11, rssKb: 100_000 }).held).toBe(false);
    const big = { threads: 13, sockets: 10, rssKb: 1_000_000 };
    expect(resourceDelta(big, { ...big, rssKb: 1_050_000 }).held).toBe(true); // 5% of a large process
    expect(resourceDelta(big, { ...big, rssKb: 1_050_001 }).held).toBe(false);
    const rs = [
      { threads: 13, sockets: 12, rssKb: 90 },
      { threads: 12, sockets: 10, rssKb: 95 },
    ];
    expect(envelope(rs, 'max')).toEqual({ threads: 13, sockets: 12, rssKb: 95 });
    expect(envelope(rs, 'min')).toEqual({ threads: 12, sockets: 10, rssKb: 90 });
    expect(envelope([], 'min')).toBeUndefined();
  });

  it('reads resources, staleness and dnsperf figures', () => {
    expect(
      resourceDelta({ threads: 10, sockets: 20, rssKb: 1000 }, { threads: 10, sockets: 20, rssKb: 1040 }).held,
    ).toBe(true);
    expect(
      resourceDelta({ threads: 10, sockets: 20, rssKb: 1000 }, { threads: 11, sockets: 20, rssKb: 1000 }).held,
    ).toBe(false);
    expect(
      maxStaleness(['[ 3s] frames: last good 0.4 s ago, seq 3', '[ 9s] frames: last good 12.5 s ago, seq 3']),
    ).toBe(12.5);
    expect(
      parseDnsperf(
        '  Queries sent:         1000\n  Queries completed:    990 (99.00%)\n  Queries lost:         10 (1.00%)\n',
      ),
    ).toEqual({ sent: 1000, completed: 990, lost: 10 });
    expect(parseDnsperf('nothing')).toBeUndefined();
  });
});
