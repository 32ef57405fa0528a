import { describe, expect, it } from 'vitest';
import { StatusChanges, type StatusChangeEvent } from '../src/table/status-changes.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';

/**
 * The embedders' "statuses changed" notice: one whole-table comparison per
 * tick, a call only when something changed, every changed slot in it once
 * (however many times it flipped between ticks), and a listener that throws
 * counted rather than stopping the tick.
 */
describe('StatusChanges', () => {
  it('reports the slots changed since the previous tick, once a tick', () => {
    const table = StatusTable.create(1024);
    const changes = new StatusChanges(1024);
    const events: { at: number; slots: number[] }[] = [];
    changes.subscribe((e: StatusChangeEvent) => events.push({ at: e.atMs, slots: [...e.slots] }));

    expect(changes.update(table.statuses, 1)).toBe(0);
    expect(events).toEqual([]);

    table.set(3, Status.HEALTHY);
    table.set(700, Status.UNHEALTHY);
    table.set(5, Status.HEALTHY);
    table.set(5, Status.UNKNOWN); // flipped back before the tick: no change at the tick
    expect(changes.update(table.statuses, 2)).toBe(2);
    expect(events).toEqual([{ at: 2, slots: [3, 700] }]);
    expect(changes.changedAtMs[3]).toBe(2);
    expect(changes.changedAtMs[5]).toBe(0);

    expect(changes.update(table.statuses, 3)).toBe(0);
    expect(events.length).toBe(1);
    table.set(3, Status.UNHEALTHY);
    changes.update(table.statuses, 4);
    expect(events[1]).toEqual({ at: 4, slots: [3] });
    expect(changes.total).toBe(3);
    expect(changes.ticks).toBe(4);
  });

  it('counts a throwing listener and keeps calling the others', () => {
    const table = StatusTable.create(64);
    const changes = new StatusChanges(64);
    let calls = 0;
    changes.subscribe(() => {
      throw new Error('embedder bug');
    });
    const off = changes.subscribe(() => calls++);
    table.set(1, Status.HEALTHY);
    expect(() => changes.update(table.statuses, 1)).not.toThrow();
    expect(changes.listenerErrors).toBe(1);
    expect(calls).toBe(1);
    off();
    table.set(1, Status.UNHEALTHY);
    changes.update(table.statuses, 2);
    expect(calls).toBe(1);
  });

  it('finds every slot when all change at once, and none at the next tick', () => {
    const cap = 65_536;
    const table = StatusTable.create(cap);
    const changes = new StatusChanges(cap);
    changes.update(table.statuses, 1);
    for (let s = 0; s < cap; s++) table.set(s, Status.UNHEALTHY);
    expect(changes.update(table.statuses, 2)).toBe(cap);
    expect(changes.update(table.statuses, 3)).toBe(0);
  });
});
