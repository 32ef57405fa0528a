import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  compileConfig,
  decodePlan,
  encodePlan,
  parseConfigText,
  FailMode,
  HealthMask,
  Policy,
  RecordType,
  Role,
  SlotFlag,
  SlotKind,
} from '../src/config/index.js';
import { UrndError } from '../src/errors.js';

const DEMO = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A small document exercising every mask and the failover order. */
function small(): Record<string, unknown> {
  return {
    cell: { name: 'small', capacity: 8 },
    checks: [
      { id: 'plain', slot: 1, type: 'tcp', host: '10.0.0.1', port: 80 },
      { id: 'inv', slot: 2, type: 'tcp', host: '10.0.0.2', port: 80, inverted: true, failureThreshold: 5 },
      { id: 'off', slot: 3, type: 'tcp', host: '10.0.0.3', port: 80, disabled: true },
      { id: 'forced', slot: 4, type: 'tcp', host: '10.0.0.4', port: 80, disabled: true, inverted: true },
      { id: 'calc', slot: 6, type: 'calculated', children: ['plain', 'inv'], healthyThreshold: 2, inverted: true },
    ],
    zones: [{ origin: 's.test', ttl: 120 }],
    records: [
      {
        name: 'fo.s.test',
        type: 'A',
        policy: 'failover',
        whenAllUnhealthy: 'answer-none',
        // Secondary listed first: the plan must still put the primary first.
        answers: [
          { value: '10.0.1.2', role: 'secondary', check: 'inv' },
          { value: '10.0.1.1', role: 'primary', check: 'plain' },
        ],
      },
      {
        name: 'mv.s.test',
        type: 'A',
        policy: 'multivalue',
        ttl: 7,
        answers: [
          { value: '10.0.2.1' },
          { value: '10.0.2.2', check: 'off' },
          { value: '10.0.2.3', check: 'forced' },
          { value: '10.0.2.4', check: 'calc' },
        ],
      },
      {
        name: 'w.s.test',
        type: 'AAAA',
        policy: 'weighted',
        answers: [
          { value: 'fe80::1', weight: 0 },
          { value: 'FE80:0::2', weight: 200, check: 'plain' },
        ],
      },
    ],
  };
}

describe('the same document gives the same bytes', () => {
  it('compiling the demo twice gives identical encodePlan bytes and version', async () => {
    const text = await readFile(DEMO, 'utf8');
    const a = compileConfig(parseConfigText(text));
    const b = compileConfig(parseConfigText(text));
    expect(a).not.toBe(b);
    const bytesA = encodePlan(a);
    const bytesB = encodePlan(b);
    expect(Buffer.from(bytesA).equals(Buffer.from(bytesB))).toBe(true);
    expect(a.version).toBe(b.version);
    expect(a.version).toBe(sha256(bytesA));
  });

  it('key order, spelled-out defaults and YAML vs JSON do not change the plan', () => {
    const doc = small();
    const spelled = small();
    // Same document with defaults written out and keys in another order.
    (spelled['checks'] as Record<string, unknown>[])[0] = {
      port: 80,
      host: '10.0.0.1',
      type: 'tcp',
      slot: 1,
      id: 'plain',
      interval: '10s',
      timeout: 4,
      failureThreshold: 3,
      inverted: false,
      disabled: false,
    };
    (spelled['zones'] as Record<string, unknown>[])[0] = {
      ttl: 120,
      origin: 'S.TEST.',
      ns: ['ns1.s.test'],
      soa: {
        mname: 'ns1.s.test',
        rname: 'hostmaster.s.test',
        serial: 1,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 60,
      },
    };
    const versions = new Set([
      compileConfig(doc).version,
      compileConfig(spelled).version,
      compileConfig(parseConfigText(JSON.stringify(doc))).version,
    ]);
    expect(versions.size).toBe(1);
  });

  it('any one-field change gives another version', () => {
    const baseVersion = compileConfig(small()).version;
    // Edits reach into the plain test document; its shape is known to be small().
    // biome-ignore lint/suspicious/noExplicitAny: edits reach into the plain test document, whose shape small() fixes
    const edits: ((d: Record<string, any>) => void)[] = [
      (d) => (d.records[2].answers[1].weight = 201),
      (d) => (d.records[1].ttl = 8),
      (d) => (d.records[0].whenAllUnhealthy = 'answer-all'),
      (d) => (d.checks[0].timeout = '3s'),
      (d) => (d.checks[0].port = 81),
      (d) => (d.checks[4].healthyThreshold = 1),
      (d) => (d.zones[0].ttl = 121),
      (d) => (d.zones[0].soa = { serial: 2 }),
      (d) => (d.cell.capacity = 9),
      (d) => (d.cell.name = 'small2'),
      (d) => (d.records[1].answers[0].value = '10.0.2.9'),
      (d) => (d.checks[2].disabled = false),
    ];
    const seen = new Set([baseVersion]);
    for (const edit of edits) {
      const doc = small();
      edit(doc);
      const version = compileConfig(doc).version;
      expect(seen.has(version)).toBe(false);
      seen.add(version);
    }
  });

  it('decodePlan reverses encodePlan exactly', async () => {
    for (const plan of [compileConfig(small()), compileConfig(parseConfigText(await readFile(DEMO, 'utf8')))]) {
      const bytes = encodePlan(plan);
      const back = decodePlan(bytes);
      expect(back).toEqual(plan);
      expect(Buffer.from(encodePlan(back)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('strings round-trip whatever their characters', () => {
    const doc = small();
    (doc['checks'] as Record<string, unknown>[]).push({
      id: 'text',
      slot: 7,
      type: 'http',
      host: 'h.s.test',
      bodyMatch: 'grüß dich 🙂 "ok"',
    });
    const plan = compileConfig(doc);
    const back = decodePlan(encodePlan(plan));
    expect(back.checks[5]).toMatchObject({ bodyMatch: 'grüß dich 🙂 "ok"' });
    expect(back.version).toBe(plan.version);
  });

  it('decodePlan refuses truncated or foreign bytes', () => {
    const bytes = encodePlan(compileConfig(small()));
    for (const bad of [bytes.subarray(0, bytes.length - 1), new Uint8Array(16), Uint8Array.from([...bytes, 0])]) {
      expect(() => decodePlan(bad)).toThrow(UrndError);
      try {
        decodePlan(bad);
      } catch (err) {
        expect((err as UrndError).code).toBe('URND_ERR_ARGUMENT');
      }
    }
  });
});

describe('the typed arrays of a small plan', () => {
  const plan = compileConfig(small());

  it('record sets', () => {
    expect(plan.setCount).toBe(3);
    expect(plan.setName).toEqual(['fo.s.test', 'mv.s.test', 'w.s.test']);
    expect([...plan.setType]).toEqual([RecordType.A, RecordType.A, RecordType.AAAA]);
    expect([...plan.setPolicy]).toEqual([Policy.FAILOVER, Policy.MULTIVALUE, Policy.WEIGHTED]);
    expect([...plan.setFailMode]).toEqual([FailMode.ANSWER_NONE, FailMode.ANSWER_ALL, FailMode.ANSWER_ALL]);
    expect([...plan.setTtl]).toEqual([120, 7, 120]);
    expect([...plan.setFirst]).toEqual([0, 2, 6]);
    expect([...plan.setLength]).toEqual([2, 4, 2]);
    expect([...plan.setZone]).toEqual([0, 0, 0]);
    expect([...plan.setSource]).toEqual([0, 1, 2]);
    expect(plan.setByType[RecordType.A].get('mv.s.test')).toBe(1);
    expect(plan.setByType[RecordType.AAAA].get('w.s.test')).toBe(2);
    expect(plan.setByType[RecordType.AAAA].has('mv.s.test')).toBe(false);
  });

  it('answers: failover primary first, masks by check flags, slot 0 without a check', () => {
    expect(plan.answerCount).toBe(8);
    expect(plan.answerValue).toEqual([
      '10.0.1.1',
      '10.0.1.2',
      '10.0.2.1',
      '10.0.2.2',
      '10.0.2.3',
      '10.0.2.4',
      'fe80::1',
      'fe80::2',
    ]);
    expect([...plan.answerSource]).toEqual([1, 0, 0, 1, 2, 3, 0, 1]);
    expect([...plan.answerRole]).toEqual([Role.PRIMARY, Role.SECONDARY, 0, 0, 0, 0, 0, 0]);
    expect(plan.answerCheck).toEqual(['plain', 'inv', null, 'off', 'forced', 'calc', null, 'plain']);
    expect([...plan.answerSlot]).toEqual([1, 2, 0, 3, 4, 6, 0, 1]);
    expect([...plan.answerMask]).toEqual([
      HealthMask.CHECKED, // plain
      HealthMask.INVERTED, // inverted
      HealthMask.ALWAYS, // no check
      HealthMask.ALWAYS, // disabled
      HealthMask.NEVER, // disabled + inverted
      HealthMask.INVERTED, // calculated, inverted
      HealthMask.ALWAYS,
      HealthMask.CHECKED,
    ]);
    expect([...plan.answerWeight]).toEqual([1, 1, 1, 1, 1, 1, 0, 200]);
    expect(plan.answerAddress).toHaveLength(8 * 16);
    expect([...plan.answerAddress.subarray(0, 16)]).toEqual([10, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...plan.answerAddress.subarray(7 * 16, 8 * 16)]).toEqual([
      0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    ]);
  });

  it('slots sized to the capacity', () => {
    expect([...plan.slotKind]).toEqual([
      SlotKind.UNUSED,
      SlotKind.PROBE,
      SlotKind.PROBE,
      SlotKind.PROBE,
      SlotKind.PROBE,
      SlotKind.UNUSED,
      SlotKind.CALCULATED,
      SlotKind.UNUSED,
    ]);
    expect([...plan.slotFlags]).toEqual([
      0,
      0,
      SlotFlag.INVERTED,
      SlotFlag.DISABLED,
      SlotFlag.DISABLED | SlotFlag.INVERTED,
      0,
      SlotFlag.INVERTED,
      0,
    ]);
    expect([...plan.slotThreshold]).toEqual([0, 3, 5, 3, 3, 0, 2, 0]);
    expect(Object.fromEntries(plan.checkSlot)).toEqual({ plain: 1, inv: 2, off: 3, forced: 4, calc: 6 });
    expect(plan.checks[4]).toEqual({
      kind: 'calculated',
      id: 'calc',
      slot: 6,
      children: ['plain', 'inv'],
      childSlots: [1, 2],
      healthyThreshold: 2,
      inverted: true,
      disabled: false,
    });
  });

  it('names: apex and owners, each with its zone', () => {
    expect(Object.fromEntries(plan.names)).toEqual({ 's.test': 0, 'fo.s.test': 0, 'mv.s.test': 0, 'w.s.test': 0 });
  });
});
