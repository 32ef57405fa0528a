import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AggregateAllocation } from '../bench/aggregate-alloc.js';
import { Result } from '../src/table/layout.js';
import { packObservation } from '../src/table/observation-word.js';
import { aggCell, aggPlan, calc, tcp } from './support/aggregate.js';

/**
 * The tick allocates nothing per slot, and per tick nothing beyond the two
 * calls it must make (StatusTable.publish, which stores a BigInt time, and
 * performance.now, which Node 20 builds on an hrtime array): measured in a
 * separate process with an exposed GC and a new space large enough that no
 * scavenge hides garbage (bench/aggregate-alloc.ts). The allocating control
 * (tick + a 256-byte typed array) must show more, so the method is known to
 * see allocation.
 */
const script = fileURLToPath(new URL('../dist/bench/aggregate-alloc.js', import.meta.url));

let cached: AggregateAllocation | undefined;
/** One child run (≈ 5 s) shared by the tests below. */
function childResult(): AggregateAllocation {
  if (cached !== undefined) return cached;
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` (npm test does)`);
  const stdout = execFileSync(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16', script, '300'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  cached = JSON.parse(stdout) as AggregateAllocation;
  return cached;
}

describe('aggregator tick allocates nothing per slot', () => {
  it('16,384 slots, 1 and 3 vantages, healthy / all down / flapping: ≈ 0 bytes a slot, a tick only the publish + performance.now floor; the control shows more', () => {
    const result = childResult();
    expect(result.rows.length).toBe(9);
    const floor = result.floor.bytesPerTick;
    // The floor itself is small and per tick (one BigInt, hrtime arrays).
    expect(floor).toBeLessThan(256);
    const large = result.rows.filter((r) => r.capacity === 16_384);
    expect(large.length).toBe(6);
    for (const row of large) {
      // One byte per slot would be 16,384 bytes a tick. Under 0.02 a slot is under ~330 a tick, and under 256 a
      // tick is the floor's order: nothing per slot, nothing per tick but publish() and performance.now().
      expect({
        row: row.label,
        perSlotOk: row.bytesPerSlot < 0.02,
        perTickOk: Number.isFinite(row.bytesPerTick) && row.bytesPerTick < 256,
      }).toEqual({
        row: row.label,
        perSlotOk: true,
        perTickOk: true,
      });
    }
    // The control adds a 256-byte typed array a tick (≈ 190 bytes of heap objects; its bytes live off-heap).
    expect(result.control.bytesPerTick - Math.max(...large.map((r) => r.bytesPerTick))).toBeGreaterThan(100);
  });
});

describe('aggregator work does not depend on health', () => {
  it('in the child process: each shape scanned and loaded the same counts healthy, all down and flapping', () => {
    const result = childResult();
    for (const row of result.rows) {
      expect({ row: row.label, scanned: row.slotsScanned, loads: row.observationsRead }).toEqual({
        row: row.label,
        scanned: row.capacity,
        loads: row.capacity * row.vantages,
      });
    }
    expect(result.rows.filter((r) => r.state === 'flapping').every((r) => r.changesLastTick === r.capacity)).toBe(true);
  });

  it('in process, with calculated checks: same slots scanned, words loaded and children read at 0%, 50%, 100% unhealthy and flapping', () => {
    const checks = [
      ...Array.from({ length: 48 }, (_, i) =>
        tcp(`p${i}`, i, { failureThreshold: 2, inverted: i % 5 === 0, disabled: i % 7 === 0 }),
      ),
      calc('k0', 50, ['p1', 'p2', 'p3'], 2),
      calc('k1', 51, ['p4', 'p5', 'p6', 'p8', 'p9'], 0),
      calc('k2', 52, ['p10', 'p11'], 2, { inverted: true }),
    ];
    const plan = aggPlan(checks);
    const states = { healthy: 0, half: 0.5, 'all-down': 1, flapping: -1 } as const;
    const seen: Record<
      string,
      { slotsScanned: number; observationsRead: number; childrenRead: number; changes: number }
    > = {};
    for (const [name, downFraction] of Object.entries(states)) {
      const cell = aggCell(plan, 3);
      let totals = { slotsScanned: 0, observationsRead: 0, childrenRead: 0, changes: 0 };
      for (let t = 0; t < 20; t++) {
        const fraction = downFraction < 0 ? t % 2 : downFraction;
        for (let v = 0; v < 3; v++) {
          for (let s = 0; s < 48; s++) {
            cell.observations.store(
              v,
              s,
              packObservation(s < fraction * 48 ? Result.FAILURE : Result.SUCCESS, 2, 1000),
            );
          }
        }
        const st = cell.aggregator.tick();
        totals = {
          slotsScanned: totals.slotsScanned + st.slotsScanned,
          observationsRead: totals.observationsRead + st.observationsRead,
          childrenRead: totals.childrenRead + st.childrenRead,
          changes: totals.changes + st.changes,
        };
      }
      seen[name] = totals;
    }
    const work = (n: string) => ({ ...seen[n], changes: undefined });
    expect(work('healthy')).toEqual({
      slotsScanned: 20 * 64,
      observationsRead: 20 * 64 * 3,
      childrenRead: 20 * 10,
      changes: undefined,
    });
    expect(work('half')).toEqual(work('healthy'));
    expect(work('all-down')).toEqual(work('healthy'));
    expect(work('flapping')).toEqual(work('healthy'));
    // … while the flapping cell really did change statuses every tick.
    expect(seen['flapping']!.changes).toBeGreaterThan(19 * 30);
  });
});
