import { describe, expect, it } from 'vitest';
import { Result, Status } from '../src/table/layout.js';
import { UrndError } from '../src/errors.js';
import { SlotKind, type Plan } from '../src/config/plan.js';
import { aggCell, aggPlan, calc, tcp } from './support/aggregate.js';

const { UNKNOWN, HEALTHY, UNHEALTHY } = Status;

/** Drives a threshold-1 check to a raw (pre-inversion) verdict. */
function set(cell: ReturnType<typeof aggCell>, slot: number, raw: 'up' | 'down'): void {
  cell.word(slot, raw === 'up' ? Result.SUCCESS : Result.FAILURE, 1);
}

describe('inverted and disabled probe checks', () => {
  it('inverted: healthy ↔ unhealthy, unknown stays unknown', () => {
    const cell = aggCell(aggPlan([tcp('i', 1, { failureThreshold: 1, inverted: true })]));
    expect(cell.tickStatus(1)).toBe(UNKNOWN);
    set(cell, 1, 'up');
    expect(cell.tickStatus(1)).toBe(UNHEALTHY);
    set(cell, 1, 'down');
    expect(cell.tickStatus(1)).toBe(HEALTHY);
  });

  it('disabled: healthy always, with no data, failures or successes', () => {
    const cell = aggCell(aggPlan([tcp('d', 2, { failureThreshold: 1, disabled: true })]));
    expect(cell.tickStatus(2)).toBe(HEALTHY);
    set(cell, 2, 'down');
    expect(cell.tickStatus(2)).toBe(HEALTHY);
    set(cell, 2, 'up');
    expect(cell.tickStatus(2)).toBe(HEALTHY);
  });

  it('disabled + inverted: unhealthy always (how traffic is forced away)', () => {
    const cell = aggCell(aggPlan([tcp('x', 3, { failureThreshold: 1, disabled: true, inverted: true })]));
    expect(cell.tickStatus(3)).toBe(UNHEALTHY);
    set(cell, 3, 'up');
    expect(cell.tickStatus(3)).toBe(UNHEALTHY);
    set(cell, 3, 'down');
    expect(cell.tickStatus(3)).toBe(UNHEALTHY);
  });

  it('a disabled check still keeps its verdicts, so re-enabling shows current health at once', () => {
    const cell = aggCell(aggPlan([tcp('d', 2, { failureThreshold: 1, disabled: true })]));
    set(cell, 2, 'down');
    expect(cell.tickStatus(2)).toBe(HEALTHY);
    cell.aggregator.setPlan(aggPlan([tcp('d', 2, { failureThreshold: 1 })]));
    expect(cell.tickStatus(2)).toBe(UNHEALTHY);
  });
});

describe('calculated checks', () => {
  const kids = [
    tcp('a', 10, { failureThreshold: 1 }),
    tcp('b', 11, { failureThreshold: 1 }),
    tcp('c', 12, { failureThreshold: 1 }),
  ];

  it('N = 2 of 3: healthy with 2 or 3 healthy children, unhealthy with 0 or 1', () => {
    const cell = aggCell(aggPlan([...kids, calc('k', 20, ['a', 'b', 'c'], 2)]));
    const expectAt = (up: number, status: Status): void => {
      [10, 11, 12].forEach((slot, i) => set(cell, slot, i < up ? 'up' : 'down'));
      expect({ up, status: cell.tickStatus(20) }).toEqual({ up, status });
    };
    expectAt(0, UNHEALTHY);
    expectAt(1, UNHEALTHY);
    expectAt(2, HEALTHY);
    expectAt(3, HEALTHY);
    expectAt(1, UNHEALTHY);
  });

  it('N = 0: healthy even with every child unhealthy', () => {
    const cell = aggCell(aggPlan([...kids, calc('k', 20, ['a', 'b', 'c'], 0)]));
    for (const slot of [10, 11, 12]) set(cell, slot, 'down');
    expect(cell.tickStatus(20)).toBe(HEALTHY);
  });

  it('N above the child count: unhealthy even with every child healthy (the config rejects it; a plan may still hold it)', () => {
    const compiled = aggPlan([...kids, calc('k', 20, ['a', 'b', 'c'], 3)]);
    const slotThreshold = Uint32Array.from(compiled.slotThreshold);
    slotThreshold[20] = 4;
    const cell = aggCell({ ...compiled, slotThreshold });
    for (const slot of [10, 11, 12]) set(cell, slot, 'up');
    expect(cell.tickStatus(20)).toBe(UNHEALTHY);
  });

  it('never unknown: children with no verdict count healthy (Route 53: a new check is healthy until there is data)', () => {
    const cell = aggCell(aggPlan([...kids, calc('k', 20, ['a', 'b', 'c'], 3)]));
    expect(cell.tickStatus(20)).toBe(HEALTHY);
    expect([10, 11, 12].map((s) => cell.at(s))).toEqual([UNKNOWN, UNKNOWN, UNKNOWN]);
    set(cell, 11, 'down');
    expect(cell.tickStatus(20)).toBe(UNHEALTHY);
  });

  it('an inverted child counts by its inverted status, and unhealthy while unknown', () => {
    const cell = aggCell(aggPlan([tcp('inv', 10, { failureThreshold: 1, inverted: true }), calc('k', 20, ['inv'], 1)]));
    expect(cell.tickStatus(20)).toBe(UNHEALTHY); // child unknown, inverted: not healthy
    set(cell, 10, 'down'); // raw down → inverted HEALTHY
    expect(cell.tickStatus(10)).toBe(HEALTHY);
    expect(cell.at(20)).toBe(HEALTHY);
    set(cell, 10, 'up'); // raw up → inverted UNHEALTHY
    expect(cell.tickStatus(20)).toBe(UNHEALTHY);
  });

  it('a disabled child counts healthy, a disabled + inverted child unhealthy', () => {
    const cell = aggCell(
      aggPlan([
        tcp('d', 10, { failureThreshold: 1, disabled: true }),
        tcp('x', 11, { failureThreshold: 1, disabled: true, inverted: true }),
        calc('one', 20, ['d', 'x'], 1),
        calc('two', 21, ['d', 'x'], 2),
      ]),
    );
    set(cell, 10, 'down');
    set(cell, 11, 'up');
    cell.aggregator.tick();
    expect([cell.at(20), cell.at(21)]).toEqual([HEALTHY, UNHEALTHY]);
  });

  it("the calculated check's own inverted and disabled flags apply after counting", () => {
    const cell = aggCell(
      aggPlan([
        ...kids,
        calc('inv', 20, ['a', 'b', 'c'], 2, { inverted: true }),
        calc('dis', 21, ['a', 'b', 'c'], 2, { disabled: true }),
        calc('both', 22, ['a', 'b', 'c'], 2, { disabled: true, inverted: true }),
      ]),
    );
    for (const slot of [10, 11, 12]) set(cell, slot, 'down');
    cell.aggregator.tick();
    expect([cell.at(20), cell.at(21), cell.at(22)]).toEqual([HEALTHY, HEALTHY, UNHEALTHY]);
    for (const slot of [10, 11, 12]) set(cell, slot, 'up');
    cell.aggregator.tick();
    expect([cell.at(20), cell.at(21), cell.at(22)]).toEqual([UNHEALTHY, HEALTHY, UNHEALTHY]);
  });

  it('a calculated check in a lower slot than its children sees their statuses of the same tick', () => {
    const cell = aggCell(aggPlan([calc('k', 0, ['a', 'b', 'c'], 3), ...kids]));
    for (const slot of [10, 11, 12]) set(cell, slot, 'up');
    expect(cell.tickStatus(0)).toBe(HEALTHY);
    set(cell, 12, 'down');
    expect(cell.tickStatus(0)).toBe(UNHEALTHY);
  });

  it('a plan whose calculated check has a non-probe child is URND_ERR_ARGUMENT', () => {
    const compiled = aggPlan([...kids, calc('k', 20, ['a', 'b', 'c'], 2)]);
    const slotKind = Uint8Array.from(compiled.slotKind);
    slotKind[10] = SlotKind.UNUSED;
    expect(() => aggCell({ ...compiled, slotKind })).toThrow(expect.objectContaining({ code: 'URND_ERR_ARGUMENT' }));
  });
});

describe('unused slots', () => {
  it('stay UNKNOWN whatever is written into their observation words or status bytes', () => {
    const cell = aggCell(aggPlan([tcp('a', 0, { failureThreshold: 1 })]), 2);
    cell.word(40, Result.SUCCESS, 15, 0);
    cell.word(40, Result.FAILURE, 15, 1);
    cell.status.set(41, HEALTHY);
    cell.aggregator.tick();
    expect([cell.at(40), cell.at(41)]).toEqual([UNKNOWN, UNKNOWN]);
    expect([cell.aggregator.verdict(0, 40), cell.aggregator.verdict(1, 40)]).toEqual([UNKNOWN, UNKNOWN]);
    expect(cell.status.counts()).toEqual([64, 0, 0]);
  });
});

describe('stats', () => {
  it('counts used slots per status, changes, and the last change', () => {
    const cell = aggCell(
      aggPlan([
        tcp('a', 0, { failureThreshold: 1 }),
        tcp('b', 1, { failureThreshold: 1 }),
        tcp('c', 2),
        calc('k', 3, ['a', 'b'], 2),
      ]),
    );
    let st = cell.aggregator.tick(1000);
    expect({ ...st, tickMs: 0 }).toMatchObject({
      ticks: 1,
      healthy: 1,
      unhealthy: 0,
      unknown: 3,
      changes: 1,
      lastChangeSlot: 3,
      lastChangeAtMs: 1000,
      slotsScanned: 64,
      observationsRead: 64,
      childrenRead: 2,
    });
    set(cell, 0, 'up');
    set(cell, 1, 'down');
    st = cell.aggregator.tick(2000);
    expect(st).toMatchObject({
      ticks: 2,
      healthy: 1,
      unhealthy: 2,
      unknown: 1,
      changes: 3,
      lastChangeSlot: 3,
      lastChangeAtMs: 2000,
    });
    expect(st.tickMs).toBeGreaterThanOrEqual(0);
    st = cell.aggregator.tick(3000);
    expect(st).toMatchObject({ changes: 0, lastChangeSlot: 3, lastChangeAtMs: 2000 });
    expect(st).toBe(cell.aggregator.tick(4000)); // one reused object
    expect(cell.status.sequence).toBe(4);
    expect(cell.status.updatedAt).toBe(4000);
  });
});

describe('setPlan (config reload) never resets health', () => {
  function settled(): { cell: ReturnType<typeof aggCell>; plan: Plan } {
    const plan = aggPlan([
      tcp('a', 0, { failureThreshold: 3 }),
      tcp('b', 1, { failureThreshold: 3 }),
      tcp('c', 2, { failureThreshold: 3 }),
      calc('k', 3, ['a', 'b'], 2),
    ]);
    const cell = aggCell(plan, 2);
    for (const v of [0, 1]) {
      cell.word(0, Result.SUCCESS, 3, v);
      cell.word(1, Result.FAILURE, 3, v);
      cell.word(2, Result.SUCCESS, 3, v);
    }
    cell.aggregator.tick();
    // Runs now fall below any threshold: only kept verdicts can hold the statuses.
    for (const v of [0, 1]) for (const s of [0, 1, 2]) cell.observations.store(v, s, 0);
    return { cell, plan };
  }

  it('reloading the same or an edited document keeps every status and verdict', () => {
    const { cell, plan } = settled();
    const before = Array.from(cell.status.statuses);
    cell.aggregator.setPlan(plan);
    cell.aggregator.tick();
    expect(Array.from(cell.status.statuses)).toEqual(before);
    // Thresholds changed, a check added elsewhere: nothing resets.
    cell.aggregator.setPlan(
      aggPlan([
        tcp('a', 0, { failureThreshold: 5 }),
        tcp('b', 1, { failureThreshold: 1 }),
        tcp('c', 2, { failureThreshold: 10 }),
        calc('k', 3, ['a', 'b'], 2),
        tcp('new', 9),
      ]),
    );
    cell.aggregator.tick();
    expect([cell.at(0), cell.at(1), cell.at(2), cell.at(3), cell.at(9)]).toEqual([
      HEALTHY,
      UNHEALTHY,
      HEALTHY,
      UNHEALTHY,
      UNKNOWN,
    ]);
  });

  it('flag changes apply to the kept verdicts at the next tick', () => {
    const { cell } = settled();
    cell.aggregator.setPlan(
      aggPlan([
        tcp('a', 0, { failureThreshold: 3, inverted: true }),
        tcp('b', 1, { failureThreshold: 3 }),
        tcp('c', 2, { failureThreshold: 3 }),
        calc('k', 3, ['a', 'b'], 2),
      ]),
    );
    cell.aggregator.tick();
    expect(cell.at(0)).toBe(UNHEALTHY);
    expect(cell.aggregator.verdict(0, 0)).toBe(HEALTHY);
  });

  it('a removed check frees its slot (UNKNOWN); a new id or kind in a slot starts that slot alone from unknown', () => {
    const { cell } = settled();
    cell.aggregator.setPlan(
      aggPlan([tcp('a', 0, { failureThreshold: 3 }), tcp('b2', 1, { failureThreshold: 3 }), calc('c', 2, ['a'], 1)]),
    );
    expect([0, 1].map((v) => cell.aggregator.verdict(v, 0))).toEqual([HEALTHY, HEALTHY]);
    expect([0, 1].map((v) => cell.aggregator.verdict(v, 1))).toEqual([UNKNOWN, UNKNOWN]);
    cell.aggregator.tick();
    // a kept; b2 is a new check in b's slot; c became calculated over a; k removed.
    expect([cell.at(0), cell.at(1), cell.at(2), cell.at(3)]).toEqual([HEALTHY, UNKNOWN, HEALTHY, UNKNOWN]);
  });

  it('a plan of another capacity is URND_ERR_ARGUMENT and the current plan stays', () => {
    const { cell } = settled();
    let err: unknown;
    try {
      cell.aggregator.setPlan(aggPlan([tcp('a', 0)], 128));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UrndError);
    expect((err as UrndError).code).toBe('URND_ERR_ARGUMENT');
    cell.aggregator.tick();
    expect([cell.at(0), cell.at(1), cell.at(2), cell.at(3)]).toEqual([HEALTHY, UNHEALTHY, HEALTHY, UNHEALTHY]);
  });
});
