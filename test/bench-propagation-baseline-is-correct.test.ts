import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import type { Plan } from '../src/config/plan.js';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';
import type { TickStats } from '../src/aggregate/aggregator.js';
import { EventDrivenRecords } from '../bench/baseline/records.js';
import { ChangeFeed } from '../bench/baseline/change-feed.js';
import { EventPublisher, decodeEvent, encodeEventMessage, type EventSink } from '../bench/baseline/event-stream.js';
import { BaselineResolverSide } from '../bench/baseline/resolver-side.js';

/**
 * The event-driven baseline of bench/propagation.bench.ts must answer right
 * before its speed means anything: its pools of healthy answers, after any
 * sequence of status events, against a naive filter of each set's answers;
 * its "all excluded" report, never early; and its event stream, every event
 * in order. In-process; the stream test uses loopback TCP.
 */

const CHECK_COUNT = 10;
const CAPACITY = 64;

interface Shape {
  /** Per check: inverted, disabled. */
  checks: { inverted: boolean; disabled: boolean }[];
  /** Per set: answer → check index, or -1 for an answer without a check; and its fail mode. */
  sets: { answers: number[]; none: boolean }[];
}

function planOf(shape: Shape): Plan {
  return compileConfig({
    cell: { name: 'b', capacity: CAPACITY },
    checks: shape.checks.map((c, i) => ({
      id: `c${i}`,
      slot: 3 * i + 1,
      type: 'tcp',
      host: '127.0.0.1',
      port: 9,
      ...(c.inverted ? { inverted: true } : {}),
      ...(c.disabled ? { disabled: true } : {}),
    })),
    zones: [{ origin: 'b.test' }],
    records: shape.sets.map((s, n) => ({
      name: `s${n}.b.test`,
      type: 'A',
      policy: 'multivalue',
      whenAllUnhealthy: s.none ? 'answer-none' : 'answer-all',
      answers: s.answers.map((c, k) => ({ value: `10.0.${n}.${k + 1}`, ...(c >= 0 ? { check: `c${c}` } : {}) })),
    })),
  });
}

/** The naive model: the answers of `set` healthy under `statuses`, in answer order. */
function naiveHealthy(plan: Plan, statuses: Uint8Array, set: number): number[] {
  const out: number[] = [];
  const first = plan.setFirst[set] as number;
  for (let i = first; i < first + (plan.setLength[set] as number); i++) {
    if ((((plan.answerMask[i] as number) >>> (statuses[plan.answerSlot[i] as number] as number)) & 1) === 1)
      out.push(i);
  }
  return out;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  checks: fc.array(fc.record({ inverted: fc.boolean(), disabled: fc.boolean() }), {
    minLength: CHECK_COUNT,
    maxLength: CHECK_COUNT,
  }),
  sets: fc.array(
    fc.record({
      answers: fc.array(fc.integer({ min: -1, max: CHECK_COUNT - 1 }), { minLength: 1, maxLength: 12 }),
      none: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});
const eventsArb = fc.array(
  fc.record({
    check: fc.integer({ min: 0, max: CHECK_COUNT - 1 }),
    status: fc.constantFrom(Status.UNKNOWN, Status.HEALTHY, Status.UNHEALTHY),
  }),
  { maxLength: 60 },
);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('event-driven baseline: records', () => {
  it('after every event, each pool equals the naive filter, and answers follow multivalue rules', () => {
    fc.assert(
      fc.property(shapeArb, eventsArb, (shape, events) => {
        const plan = planOf(shape);
        const records = new EventDrivenRecords(plan, 7);
        const model = new Uint8Array(CAPACITY);
        const pool = new Int32Array(128);
        const out = new Int32Array(128);
        const check = () => {
          for (let set = 0; set < plan.setCount; set++) {
            const want = naiveHealthy(plan, model, set);
            expect(Array.from(pool.subarray(0, records.healthyInto(set, pool)))).toEqual(want);
            const n = records.answersInto(set, out);
            const got = Array.from(out.subarray(0, n));
            const len = plan.setLength[set] as number;
            const first = plan.setFirst[set] as number;
            const candidates =
              want.length > 0 ? want : shape.sets[set]?.none ? [] : Array.from({ length: len }, (_, k) => first + k);
            expect(n).toBe(Math.min(8, candidates.length));
            expect(new Set(got).size).toBe(n);
            for (const a of got) expect(candidates).toContain(a);
          }
        };
        check();
        for (const e of events) {
          const slot = plan.checkSlot.get(`c${e.check}`) as number;
          model[slot] = e.status;
          const touched = records.apply(`c${e.check}`, e.status);
          // Exactly the sets that use the check are rebuilt.
          const users = new Set<number>();
          for (let set = 0; set < plan.setCount; set++) {
            const first = plan.setFirst[set] as number;
            for (let i = first; i < first + (plan.setLength[set] as number); i++)
              if (plan.answerCheck[i] === `c${e.check}`) users.add(set);
          }
          expect(new Set(Array.from(records.touched.subarray(0, touched)))).toEqual(users);
          check();
        }
        expect(records.apply('nope', Status.HEALTHY)).toBe(-1);
        expect(records.apply('c0', 7)).toBe(-1);
      }),
      { numRuns: 150, seed: 20240601 },
    );
  });

  it('refuses a plan with a policy it does not implement', () => {
    const plan = compileConfig({
      cell: { name: 'b', capacity: 8 },
      zones: [{ origin: 'b.test' }],
      records: [{ name: 'w.b.test', type: 'A', policy: 'simple', answers: [{ value: '10.0.0.1' }] }],
    });
    expect(() => new EventDrivenRecords(plan)).toThrow(expect.objectContaining({ code: 'URND_ERR_ARGUMENT' }));
  });
});

describe('event-driven baseline: the resolver side reports "all excluded" exactly when it is so', () => {
  it('never before the last needed event, and at once after it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: CHECK_COUNT - 1 }), { minLength: 1, maxLength: CHECK_COUNT }),
        fc.array(fc.integer({ min: 0, max: CHECK_COUNT - 1 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 1000 }),
        (failing, noise, seed) => {
          // Plain checks, two sets sharing some, every set fail-closed; all healthy to start.
          const shape: Shape = {
            checks: Array.from({ length: CHECK_COUNT }, () => ({ inverted: false, disabled: false })),
            sets: [
              { answers: [0, 1, 2, 3, 4, 5], none: true },
              { answers: [4, 5, 6, 7, 8, 9, -1], none: true },
            ],
          };
          const plan = planOf(shape);
          const done: number[] = [];
          const side = new BaselineResolverSide(plan, (id) => done.push(id));
          let seq = 0;
          const send = (check: number, status: number) =>
            side.onMessage(encodeEventMessage({ seq: ++seq, check: `c${check}`, status }).subarray(4));
          for (let c = 0; c < CHECK_COUNT; c++) send(c, Status.HEALTHY);
          const failedSlots = failing.map((c) => plan.checkSlot.get(`c${c}`) as number);
          side.watch(1, failedSlots, [0, 1]);
          expect(done).toEqual([]);
          // The failing checks' events, in a shuffled order, with unrelated healthy events between them.
          const order = [...failing];
          let r = seed;
          for (let j = order.length - 1; j > 0; j--) {
            r = (r * 1103515245 + 12345) >>> 0;
            const k = r % (j + 1);
            [order[j], order[k]] = [order[k] as number, order[j] as number];
          }
          const healthyNoise = noise.filter((c) => !failing.includes(c));
          order.forEach((c, k) => {
            for (const n of healthyNoise.slice(k * 2, k * 2 + 2)) send(n, Status.HEALTHY);
            expect(done).toEqual([]);
            send(c, Status.UNHEALTHY);
          });
          expect(done).toEqual([1]);
          expect(side.stats().gaps).toBe(0);
          // A restore watch: done once every failed check is healthy again.
          side.watch(2, [], [0, 1]);
          expect(done).toEqual([1]);
          for (const c of order) send(c, Status.HEALTHY);
          expect(done).toEqual([1, 2]);
        },
      ),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe('event-driven baseline: change feed and stream', () => {
  const statsWith = (changes: number) => ({ changes }) as unknown as TickStats;

  it('sends one event per changed check, in order, and none for dummy slots or calm ticks', () => {
    const shape: Shape = {
      checks: Array.from({ length: CHECK_COUNT }, () => ({ inverted: false, disabled: false })),
      sets: [{ answers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], none: true }],
    };
    const plan = planOf(shape);
    const table = StatusTable.create(CAPACITY);
    const sent: Buffer[] = [];
    const sink: EventSink = { send: (m) => sent.push(...m) };
    const feed = new ChangeFeed(plan, table, sink, { batch: 3 });
    const records = new EventDrivenRecords(plan);
    let r = 12345;
    for (let tick = 0; tick < 200; tick++) {
      let changes = 0;
      for (let k = 0; k < 4; k++) {
        r = (r * 1103515245 + 12345) >>> 0;
        const slot = r % CAPACITY; // dummies (slots without a check) flip too
        const status = (r >>> 8) % 3;
        if (table.statuses[slot] !== status) changes++;
        table.statuses[slot] = status;
      }
      feed.afterTick(statsWith(changes));
      feed.drain();
    }
    expect(feed.afterTick(statsWith(0))).toBe(0);
    let seq = 0;
    for (const m of sent) {
      const e = decodeEvent(m.subarray(4));
      expect(e).not.toBeNull();
      expect(m.readUInt32BE(0)).toBe(m.length - 4);
      expect(e?.seq).toBe(++seq);
      expect(records.apply(e?.check as string, e?.status as number)).toBeGreaterThanOrEqual(0);
    }
    expect(feed.sent).toBe(sent.length);
    for (const c of plan.checks) expect(records.statuses[c.slot]).toBe(table.statuses[c.slot]);
  });

  it("delivers every event, in order, over loopback TCP through the engine's FrameListener", async () => {
    const shape: Shape = {
      checks: Array.from({ length: CHECK_COUNT }, () => ({ inverted: false, disabled: false })),
      sets: [
        { answers: [0, 1, 2, 3, 4], none: true },
        { answers: [5, 6, 7, 8, 9], none: false },
      ],
    };
    const plan = planOf(shape);
    const sides = [new BaselineResolverSide(plan, () => {}), new BaselineResolverSide(plan, () => {})];
    const ports: number[] = [];
    for (const side of sides) {
      ports.push(await side.listen());
      cleanups.push(() => side.close());
    }
    const publisher = await EventPublisher.connect(ports.map((port) => ({ host: '127.0.0.1', port })));
    cleanups.push(() => publisher.close());
    const table = StatusTable.create(CAPACITY);
    const feed = new ChangeFeed(plan, table, publisher);
    const slots = plan.checks.map((c) => c.slot);
    const TICKS = 2000;
    for (let tick = 0; tick < TICKS; tick++) {
      for (const s of slots) table.statuses[s] = ((tick + s) % 2) + 1;
      feed.afterTick(statsWith(slots.length));
      feed.drain();
    }
    const total = TICKS * slots.length;
    const deadline = Date.now() + 10_000;
    while (sides.some((s) => s.stats().messages < total) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    for (const side of sides) {
      const st = side.stats();
      expect(st.messages).toBe(total);
      expect(st.applied).toBe(total);
      expect(st.gaps).toBe(0);
      expect(st.rejected).toBe(0);
      for (const s of slots) expect(side.records.statuses[s]).toBe(table.statuses[s]);
      for (let set = 0; set < plan.setCount; set++) {
        const pool = new Int32Array(128);
        expect(Array.from(pool.subarray(0, side.records.healthyInto(set, pool)))).toEqual(
          naiveHealthy(plan, table.statuses, set),
        );
      }
    }
    expect(publisher.stats().every((s) => s.messages === total && s.errors === 0)).toBe(true);
  });
});
