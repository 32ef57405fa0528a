import { describe, expect, it } from 'vitest';
import {
  compileConfig,
  decodePlan,
  encodePlan,
  type Plan,
  type ProbeCheckSpec,
  type CalculatedCheckSpec,
} from '../src/config/index.js';
import { CALCULATED_CHECK_FIELDS, PROBE_CHECK_FIELDS } from '../src/config/plan-codec.js';
import { sameProbeChecks } from '../src/config/plan-change.js';

/**
 * The Plan's check fields are described once (plan-codec.ts), and encode,
 * decode and `sameProbeChecks` all follow that description: a field a
 * compiled check has but the description lacks, or a described field any of
 * the three ignores, fails here.
 */
const plan = compileConfig({
  cell: { name: 'fields', capacity: 64 },
  checks: [
    { id: 'web', slot: 1, type: 'https', host: '127.0.0.1', path: '/health', bodyMatch: 'ok' },
    { id: 'db', slot: 2, type: 'tcp', host: '::1', port: 5432 },
    { id: 'any', slot: 3, type: 'calculated', children: ['web', 'db'] },
  ],
});
const probe = plan.checks[0] as ProbeCheckSpec;
const calculated = plan.checks[2] as CalculatedCheckSpec;

/** A value of the same type as `v` that differs from it. */
function changed(v: unknown): unknown {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 'x';
  if (v === 'tcp' || v === 'http' || v === 'https') return v === 'http' ? 'https' : 'http';
  if (typeof v === 'string') return `${v}x`;
  if (Array.isArray(v)) return typeof v[0] === 'number' ? v.map((n: number) => n + 1) : v.map((s: string) => `${s}x`);
  throw new Error(`no change for ${String(v)}`);
}

function withCheck(index: number, check: object): Plan {
  const checks = plan.checks.map((c, i) => (i === index ? check : c)) as Plan['checks'];
  return { ...plan, checks };
}

describe('the plan fields are declared once', () => {
  it('every field a compiled check has is described, and nothing else', () => {
    expect(
      Object.keys(probe)
        .filter((k) => k !== 'kind')
        .sort(),
    ).toEqual(Object.keys(PROBE_CHECK_FIELDS).sort());
    expect(
      Object.keys(calculated)
        .filter((k) => k !== 'kind')
        .sort(),
    ).toEqual(Object.keys(CALCULATED_CHECK_FIELDS).sort());
  });

  it.each(Object.keys(PROBE_CHECK_FIELDS))(
    'a changed probe field %s changes the bytes, survives decoding and restarts the checkers',
    (field) => {
      const value = changed((probe as unknown as Record<string, unknown>)[field]);
      const next = withCheck(0, { ...probe, [field]: value });
      expect(Buffer.from(encodePlan(next)).equals(Buffer.from(encodePlan(plan)))).toBe(false);
      expect((decodePlan(encodePlan(next)).checks[0] as unknown as Record<string, unknown>)[field]).toEqual(value);
      expect(sameProbeChecks(plan, next)).toBe(false);
      expect(sameProbeChecks(plan, withCheck(0, { ...probe }))).toBe(true);
    },
  );

  it.each(Object.keys(CALCULATED_CHECK_FIELDS))(
    'a changed calculated field %s changes the bytes and survives decoding',
    (field) => {
      const value = changed((calculated as unknown as Record<string, unknown>)[field]);
      const next = withCheck(2, { ...calculated, [field]: value });
      expect(Buffer.from(encodePlan(next)).equals(Buffer.from(encodePlan(plan)))).toBe(false);
      expect((decodePlan(encodePlan(next)).checks[2] as unknown as Record<string, unknown>)[field]).toEqual(value);
    },
  );
});
