import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  compileConfig,
  loadConfigFile,
  parseConfigText,
  validateConfig,
  FailMode,
  HealthMask,
  Policy,
  RecordType,
  Role,
  SlotKind,
  type ProbeCheckSpec,
} from '../src/config/index.js';

const DEMO = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));

describe('examples/demo.yaml', () => {
  it('loads with every default applied', async () => {
    const doc = await loadConfigFile(DEMO);
    expect(doc.cell).toEqual({ name: 'demo', capacity: 16384 });
    expect(doc.checks).toHaveLength(65);
    expect(doc.checks[0]).toEqual({
      id: 't00',
      slot: 0,
      type: 'http',
      host: '127.0.1.1',
      port: 8080,
      path: '/health',
      status: [200, 399],
      interval: 2,
      timeout: 1,
      failureThreshold: 2,
      inverted: false,
      disabled: false,
    });
    expect(doc.checks[63]).toMatchObject({ id: 't63', slot: 63, host: '127.0.1.64' });
    expect(doc.checks[64]).toEqual({
      id: 'www-any',
      slot: 100,
      type: 'calculated',
      children: ['t00', 't01', 't02', 't03', 't04', 't05', 't06', 't07'],
      healthyThreshold: 1,
      inverted: false,
      disabled: false,
    });
    expect(doc.zones[0]).toEqual({
      origin: 'demo.test',
      ttl: 60,
      soa: {
        mname: 'ns1.demo.test',
        rname: 'hostmaster.demo.test',
        serial: 1,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 60,
      },
      ns: ['ns1.demo.test'],
    });
    expect(doc.records.map((r) => [r.name, r.type, r.policy, r.ttl, r.answers.length])).toEqual([
      ['www.demo.test', 'A', 'weighted', 30, 8],
      ['api.demo.test', 'A', 'failover', 60, 2],
      ['pool.demo.test', 'A', 'multivalue', 60, 16],
      ['static.demo.test', 'A', 'simple', 60, 2],
      ['v6.demo.test', 'AAAA', 'multivalue', 60, 1],
      ['ns1.demo.test', 'A', 'simple', 60, 1],
    ]);
    expect(doc.records[0]!.whenAllUnhealthy).toBe('answer-all');
    // Simple sets are never filtered, so they carry no fail mode.
    expect('whenAllUnhealthy' in doc.records[3]!).toBe(false);
  });

  it('compiles to a plan the resolver can scan', async () => {
    const plan = compileConfig(await loadConfigFile(DEMO));
    expect(plan.cell).toEqual({ name: 'demo', capacity: 16384 });
    expect(plan.version).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.setCount).toBe(6);
    expect(plan.answerCount).toBe(8 + 2 + 16 + 2 + 1 + 1);
    expect([...plan.setPolicy]).toEqual([
      Policy.WEIGHTED,
      Policy.FAILOVER,
      Policy.MULTIVALUE,
      Policy.SIMPLE,
      Policy.MULTIVALUE,
      Policy.SIMPLE,
    ]);
    expect([...plan.setFirst]).toEqual([0, 8, 10, 26, 28, 29]);
    expect([...plan.setLength]).toEqual([8, 2, 16, 2, 1, 1]);

    const www = plan.setByType[RecordType.A].get('www.demo.test')!;
    expect(www).toBe(0);
    expect([...plan.answerWeight.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...plan.answerSlot.subarray(0, 8)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(plan.answerCheck.slice(0, 2)).toEqual(['t00', 't01']);

    const api = plan.setByType[RecordType.A].get('api.demo.test')!;
    const first = plan.setFirst[api]!;
    expect(plan.answerValue.slice(first, first + 2)).toEqual(['127.0.1.9', '127.0.1.10']);
    expect([...plan.answerRole.subarray(first, first + 2)]).toEqual([Role.PRIMARY, Role.SECONDARY]);

    const v6 = plan.setByType[RecordType.AAAA].get('v6.demo.test')!;
    const a = plan.setFirst[v6]!;
    expect(plan.answerValue[a]).toBe('::1');
    expect([...plan.answerAddress.subarray(a * 16, a * 16 + 16)]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    expect(plan.answerMask[a]).toBe(HealthMask.ALWAYS);
    expect(plan.answerSlot[a]).toBe(0);

    const fixed = plan.setByType[RecordType.A].get('static.demo.test')!;
    expect(plan.answerValue.slice(plan.setFirst[fixed], plan.setFirst[fixed]! + 2)).toEqual(['127.0.2.1', '127.0.2.2']);
    expect(plan.setFailMode[fixed]).toBe(FailMode.ANSWER_ALL);

    expect([...plan.names.keys()].sort()).toEqual([
      'api.demo.test',
      'demo.test',
      'ns1.demo.test',
      'pool.demo.test',
      'static.demo.test',
      'v6.demo.test',
      'www.demo.test',
    ]);
    expect(plan.zones).toEqual([
      {
        origin: 'demo.test',
        ttl: 60,
        soa: {
          mname: 'ns1.demo.test',
          rname: 'hostmaster.demo.test',
          serial: 1,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 60,
        },
        ns: ['ns1.demo.test'],
      },
    ]);

    expect(plan.slotKind).toHaveLength(16384);
    expect(plan.slotFlags).toHaveLength(16384);
    expect(plan.slotThreshold).toHaveLength(16384);
    expect(plan.slotKind[0]).toBe(SlotKind.PROBE);
    expect(plan.slotKind[63]).toBe(SlotKind.PROBE);
    expect(plan.slotKind[64]).toBe(SlotKind.UNUSED);
    expect(plan.slotKind[100]).toBe(SlotKind.CALCULATED);
    expect(plan.slotThreshold[0]).toBe(2);
    expect(plan.slotThreshold[100]).toBe(1);
    expect(plan.checkSlot.get('www-any')).toBe(100);
    expect(plan.checks[0]).toEqual({
      kind: 'probe',
      id: 't00',
      slot: 0,
      type: 'http',
      host: '127.0.1.1',
      port: 8080,
      path: '/health',
      statusMin: 200,
      statusMax: 399,
      bodyMatch: null,
      verifyTls: false,
      intervalMs: 2000,
      timeoutMs: 1000,
      failureThreshold: 2,
      inverted: false,
      disabled: false,
    } satisfies ProbeCheckSpec);
    expect(plan.checks[64]).toMatchObject({
      kind: 'calculated',
      id: 'www-any',
      childSlots: [0, 1, 2, 3, 4, 5, 6, 7],
      healthyThreshold: 1,
    });
  });
});

const JSON_DOC = JSON.stringify({
  cell: { name: 'json-cell', capacity: 32 },
  checks: [
    { id: 'plain', slot: 0, type: 'http', host: 'Web.Example.TEST' },
    { id: 'secure', slot: 1, type: 'https', host: '2001:DB8:0:0:0:0:0:1', interval: '1m', bodyMatch: 'ok' },
    { id: 'raw', slot: 2, type: 'tcp', host: '10.0.0.1', port: 5432, interval: 1 },
    { id: 'halves', slot: 3, type: 'tcp', host: '10.0.0.2', port: 5432, interval: 2.5, timeout: '500ms' },
    { id: 'both', slot: 31, type: 'calculated', children: ['plain', 'raw'] },
  ],
  zones: [
    { origin: 'Example.TEST.', ttl: 300 },
    { origin: 'sub.example.test', soa: { serial: 7, rname: 'ops.example.test' }, ns: ['a.ns.test', 'b.ns.test'] },
  ],
  records: [
    { name: 'A.B.Example.Test.', type: 'A', answers: [{ value: '192.0.2.1' }] },
    {
      name: 'x.sub.example.test',
      type: 'AAAA',
      policy: 'multivalue',
      whenAllUnhealthy: 'answer-none',
      ttl: 5,
      answers: [{ value: '2001:DB8:0:0:1:0:0:1', check: 'secure' }],
    },
  ],
});

describe('a JSON document', () => {
  it('parses (JSON is YAML) and fills in per-type and derived defaults', () => {
    const doc = parseConfigText(JSON_DOC, 'doc.json');
    expect(doc.checks[0]).toEqual({
      id: 'plain',
      slot: 0,
      type: 'http',
      host: 'Web.Example.TEST',
      port: 80,
      path: '/',
      status: [200, 399],
      interval: 10,
      timeout: 4,
      failureThreshold: 3,
      inverted: false,
      disabled: false,
    });
    expect(doc.checks[1]).toMatchObject({
      type: 'https',
      port: 443,
      verifyTls: false,
      interval: 60,
      timeout: 4,
      bodyMatch: 'ok',
    });
    // min(4 s, 0.8 × interval)
    expect(doc.checks[2]).toMatchObject({ type: 'tcp', interval: 1, timeout: 0.8 });
    expect(doc.checks[3]).toMatchObject({ interval: 2.5, timeout: 0.5 });
    expect(doc.checks[4]).toMatchObject({ healthyThreshold: 1, inverted: false, disabled: false });
    expect(doc.zones[1]!.soa).toEqual({
      mname: 'ns1.sub.example.test',
      rname: 'ops.example.test',
      serial: 7,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    });
    expect(doc.records[0]!.ttl).toBe(300);
    expect(doc.records[0]!.policy).toBe('simple');
    expect(doc.records[1]!.ttl).toBe(5);
  });

  it('compiles: names normalized, durations in ms, addresses canonical, nested zones by longest origin', () => {
    const plan = compileConfig(parseConfigText(JSON_DOC));
    expect(plan.zones.map((z) => z.origin)).toEqual(['example.test', 'sub.example.test']);
    expect(plan.zones[1]!.ns).toEqual(['a.ns.test', 'b.ns.test']);
    expect(plan.setName).toEqual(['a.b.example.test', 'x.sub.example.test']);
    expect([...plan.setZone]).toEqual([0, 1]);
    expect([...plan.setTtl]).toEqual([300, 5]);
    expect([...plan.setFailMode]).toEqual([FailMode.ANSWER_ALL, FailMode.ANSWER_NONE]);
    expect(plan.answerValue).toEqual(['192.0.2.1', '2001:db8::1:0:0:1']);
    expect([...plan.answerAddress.subarray(0, 16)]).toEqual([192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...plan.answerAddress.subarray(16, 32)]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1,
    ]);
    expect(plan.answerSlot[1]).toBe(1);
    expect(plan.answerMask[1]).toBe(HealthMask.CHECKED);
    // Owners, apexes, and the empty non-terminal between a.b.example.test and its apex.
    expect(Object.fromEntries(plan.names)).toEqual({
      'example.test': 0,
      'sub.example.test': 1,
      'a.b.example.test': 0,
      'b.example.test': 0,
      'x.sub.example.test': 1,
    });
    const [plain, secure, raw, halves] = plan.checks as ProbeCheckSpec[];
    expect(plain).toMatchObject({ host: 'web.example.test', port: 80, path: '/', intervalMs: 10_000, timeoutMs: 4000 });
    expect(secure).toMatchObject({
      host: '2001:db8::1',
      port: 443,
      intervalMs: 60_000,
      timeoutMs: 4000,
      bodyMatch: 'ok',
      verifyTls: false,
    });
    expect(raw).toMatchObject({ type: 'tcp', intervalMs: 1000, timeoutMs: 800, path: '/', bodyMatch: null });
    expect(halves).toMatchObject({ intervalMs: 2500, timeoutMs: 500 });
    expect(plan.checks[4]).toMatchObject({ kind: 'calculated', childSlots: [0, 2] });
    expect(plan.slotKind).toHaveLength(32);
  });

  it('gives a frozen document that validates again to itself, even through JSON', () => {
    const doc = parseConfigText(JSON_DOC);
    expect(Object.isFrozen(doc)).toBe(true);
    expect(Object.isFrozen(doc.checks[0])).toBe(true);
    expect(validateConfig(doc)).toBe(doc);
    const again = validateConfig(JSON.parse(JSON.stringify(doc)));
    expect(again).toEqual(doc);
    expect(compileConfig(again).version).toBe(compileConfig(doc).version);
  });

  it('compiles a plain object directly (validating it first)', () => {
    const plan = compileConfig(JSON.parse(JSON_DOC));
    expect(plan.version).toBe(compileConfig(parseConfigText(JSON_DOC)).version);
  });

  it('accepts a document with no zones, records or checks', () => {
    const plan = compileConfig({ cell: { name: 'bare' } });
    expect(plan.cell.capacity).toBe(16384);
    expect(plan.setCount).toBe(0);
    expect(plan.answerCount).toBe(0);
    expect(plan.names.size).toBe(0);
    expect(plan.slotKind.every((k) => k === SlotKind.UNUSED)).toBe(true);
  });
});
