import { describe, expect, it } from 'vitest';
import {
  Truth,
  answerCorrect,
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
