import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileConfig, validateConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { Resolver } from '../src/resolve/resolver.js';

/**
 * Alias trees (failover of weighted, weighted of failover, …, aliases with
 * and without evaluateTargetHealth, own checks on aliases) in random
 * shapes and every health state, against a naive model: a direct
 * recursive reading of Route 53's rules that lists every answer a query
 * may get. The resolver's answer must always be one of them.
 */
type Policy = 'weighted' | 'failover' | 'multivalue';
interface Answer {
  value?: string;
  alias?: string;
  evaluateTargetHealth?: boolean;
  weight?: number;
  role?: 'primary' | 'secondary';
  check?: string;
}
interface RecordSet {
  name: string;
  type: 'A';
  policy: Policy | 'simple';
  whenAllUnhealthy?: 'answer-all' | 'answer-none';
  answers: Answer[];
}

const CHECKS = 6;
const ZONE = 'tree.test';

// ── the naive model ─────────────────────────────────────────────────────────

function model(sets: Map<string, RecordSet>, statuses: number[]) {
  const own = (a: Answer): boolean => a.check === undefined || statuses[Number(a.check.slice(1))] !== Status.UNHEALTHY;
  const healthy = (a: Answer): boolean =>
    own(a) && (a.alias === undefined || a.evaluateTargetHealth !== true || anyHealthy(sets.get(a.alias)!));
  const anyHealthy = (s: RecordSet): boolean => s.answers.some(healthy);
  /** Every outcome (sorted values joined by space; '' for an empty answer) a query may give. */
  const outcomes = (s: RecordSet): Set<string> => {
    const h = s.answers.map(healthy);
    const none = !h.some(Boolean);
    const closed = none && s.whenAllUnhealthy === 'answer-none';
    if (closed) return new Set(['']);
    let chosen: Answer[];
    if (s.policy === 'simple') chosen = [s.answers[0]!];
    else if (s.policy === 'failover') {
      const p = s.answers.find((a) => a.role === 'primary')!;
      const sec = s.answers.find((a) => a.role === 'secondary');
      chosen = [healthy(p) ? p : sec !== undefined && healthy(sec) ? sec : p];
    } else if (s.policy === 'multivalue') {
      const pool = none ? s.answers : s.answers.filter((_, k) => h[k]);
      return new Set([
        pool
          .map((a) => a.value!)
          .sort()
          .join(' '),
      ]);
    } else {
      const w = (a: Answer): number => a.weight ?? 0;
      const tierA = s.answers.filter((a, k) => h[k] && w(a) > 0);
      const tierB = s.answers.filter((a, k) => h[k] && w(a) === 0);
      const tierC = s.answers.filter((a) => w(a) > 0);
      chosen = tierA.length > 0 ? tierA : tierB.length > 0 ? tierB : tierC.length > 0 ? tierC : s.answers;
    }
    const out = new Set<string>();
    for (const a of chosen) {
      if (a.alias === undefined) out.add(a.value!);
      else for (const o of outcomes(sets.get(a.alias)!)) out.add(o);
    }
    return out;
  };
  return { outcomes, anyHealthy };
}

// ── random trees ────────────────────────────────────────────────────────────

const checkRef = fc.option(
  fc.integer({ min: 0, max: CHECKS - 1 }).map((i) => `c${i}`),
  { nil: undefined },
);
const failMode = fc.constantFrom<'answer-all' | 'answer-none'>('answer-all', 'answer-all', 'answer-none');

/** A set of `n` answers under `policy`, each made by `answer(k)`. */
function setOf(name: string, policy: Policy, fm: 'answer-all' | 'answer-none', answers: Answer[]): RecordSet {
  const shaped = answers.map((a, k) => {
    const b: Answer = { ...a };
    if (policy === 'weighted') b.weight ??= 1;
    else delete b.weight;
    if (policy === 'failover') b.role = k === 0 ? 'primary' : 'secondary';
    return b;
  });
  return {
    name,
    type: 'A',
    policy,
    whenAllUnhealthy: fm,
    answers: policy === 'failover' ? shaped.slice(0, 2) : shaped,
  };
}

const leaf = (i: number) =>
  fc
    .record({
      policy: fc.constantFrom<Policy>('weighted', 'failover', 'multivalue'),
      fm: failMode,
      answers: fc.array(fc.record({ check: checkRef, weight: fc.integer({ min: 0, max: 3 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
    })
    .map(({ policy, fm, answers }) =>
      setOf(
        `leaf${i}.${ZONE}`,
        policy,
        fm,
        answers.map((a, k) => ({ value: `192.0.2.${i * 10 + k + 1}`, check: a.check, weight: a.weight })),
      ),
    );

/** A set whose answers alias `targets` (each at most once) or hold a value. */
const interior = (name: string, targets: string[], base: number) =>
  fc
    .record({
      policy: fc.constantFrom<Policy>('weighted', 'failover'),
      fm: failMode,
      answers: fc.array(
        fc.record({
          target: fc.integer({ min: -1, max: targets.length - 1 }),
          eth: fc.boolean(),
          check: checkRef,
          weight: fc.integer({ min: 0, max: 3 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ policy, fm, answers }) => {
      const used = new Set<number>();
      const list: Answer[] = answers.map((a, k) => {
        if (a.target >= 0 && !used.has(a.target)) {
          used.add(a.target);
          return { alias: targets[a.target]!, evaluateTargetHealth: a.eth, check: a.check, weight: a.weight };
        }
        return { value: `198.51.100.${base + k}`, check: a.check, weight: a.weight };
      });
      return setOf(name, policy, fm, list);
    });

const tree = fc
  .tuple(leaf(0), leaf(1), leaf(2), leaf(3))
  .chain((leaves) =>
    fc
      .tuple(
        interior(`mid0.${ZONE}`, [leaves[0].name, leaves[1].name], 10),
        interior(`mid1.${ZONE}`, [leaves[2].name, leaves[3].name, leaves[0].name], 20),
      )
      .chain((mids) =>
        interior(`root.${ZONE}`, [mids[0].name, mids[1].name, leaves[3].name], 30).map((root) => [
          ...leaves,
          ...mids,
          root,
        ]),
      ),
  );

const statusList = fc.array(fc.constantFrom(Status.UNKNOWN, Status.HEALTHY, Status.UNHEALTHY), {
  minLength: CHECKS,
  maxLength: CHECKS,
});

function documentOf(sets: RecordSet[]) {
  return {
    cell: { name: 'tree', capacity: 16 },
    checks: Array.from({ length: CHECKS }, (_, i) => ({
      id: `c${i}`,
      slot: i,
      type: 'tcp',
      host: '127.0.0.1',
      port: 9,
    })),
    zones: [{ origin: ZONE }],
    records: sets,
  };
}

describe('alias trees follow Route 53 in every health combination', () => {
  it('every answer is one the naive model allows; a fail-closed tree answers nothing exactly when the model says so', () => {
    fc.assert(
      fc.property(tree, fc.array(statusList, { minLength: 1, maxLength: 6 }), (sets, healthStates) => {
        const plan = compileConfig(documentOf(sets));
        const table = StatusTable.create(16);
        const resolver = new Resolver(plan, table, { seed: 11 });
        const byName = new Map(sets.map((s) => [s.name, s]));
        for (const statuses of healthStates) {
          statuses.forEach((st, i) => table.set(i, st));
          table.publish();
          const m = model(byName, statuses);
          for (const name of [`root.${ZONE}`, `mid0.${ZONE}`, `mid1.${ZONE}`]) {
            const allowed = m.outcomes(byName.get(name)!);
            for (let q = 0; q < 12; q++) {
              const got = resolver.resolve(name, 'A').addresses.slice().sort().join(' ');
              if (!allowed.has(got))
                throw new Error(`${name}: got "${got}", allowed ${[...allowed].map((o) => `"${o}"`).join(', ')}`);
            }
          }
        }
      }),
      { numRuns: 150, seed: 18 },
    );
  });

  it('every one of the 3^6 health states of a failover → weighted tree with own checks on the aliases', () => {
    const sets: RecordSet[] = [
      setOf(`eu.${ZONE}`, 'weighted', 'answer-all', [
        { value: '192.0.2.1', check: 'c0' },
        { value: '192.0.2.2', check: 'c1' },
      ]),
      setOf(`us.${ZONE}`, 'weighted', 'answer-none', [
        { value: '192.0.2.11', check: 'c2' },
        { value: '192.0.2.12', check: 'c3' },
      ]),
      setOf(`api.${ZONE}`, 'failover', 'answer-all', [
        { alias: `eu.${ZONE}`, evaluateTargetHealth: true, check: 'c4' },
        { alias: `us.${ZONE}`, evaluateTargetHealth: true, check: 'c5' },
      ]),
    ];
    const byName = new Map(sets.map((x) => [x.name, x]));
    const table = StatusTable.create(16);
    const resolver = new Resolver(compileConfig(documentOf(sets)), table, { seed: 5 });
    const values = [Status.UNKNOWN, Status.HEALTHY, Status.UNHEALTHY];
    let checked = 0;
    for (let code = 0; code < 3 ** CHECKS; code++) {
      const statuses = Array.from({ length: CHECKS }, (_, i) => values[Math.floor(code / 3 ** i) % 3] as number);
      statuses.forEach((st, i) => table.set(i, st as Status));
      table.publish();
      const allowed = model(byName, statuses).outcomes(byName.get(`api.${ZONE}`)!);
      const seen = new Set<string>();
      for (let q = 0; q < 40; q++) seen.add(resolver.resolve(`api.${ZONE}`).addresses.join(' '));
      // Never outside the model; with two equal weights, 40 draws show both (or the one) allowed.
      expect({ code, seen: [...seen].sort() }).toEqual({ code, seen: [...allowed].sort() });
      checked++;
    }
    expect(checked).toBe(729);
  });

  it('a hand-made case: failover of weighted, the primary abandoned when its target has no healthy answer', () => {
    const sets: RecordSet[] = [
      setOf(`eu.${ZONE}`, 'weighted', 'answer-all', [
        { value: '192.0.2.1', check: 'c0' },
        { value: '192.0.2.2', check: 'c1' },
      ]),
      setOf(`us.${ZONE}`, 'weighted', 'answer-all', [
        { value: '192.0.2.11', check: 'c2' },
        { value: '192.0.2.12', check: 'c3' },
      ]),
      setOf(`api.${ZONE}`, 'failover', 'answer-all', [
        { alias: `eu.${ZONE}`, evaluateTargetHealth: true },
        { alias: `us.${ZONE}`, evaluateTargetHealth: true },
      ]),
    ];
    const plan = compileConfig(documentOf(sets));
    const table = StatusTable.create(16);
    const resolver = new Resolver(plan, table, { seed: 1 });
    const ask = (): string => resolver.resolve(`api.${ZONE}`).addresses.join(' ');
    expect(['192.0.2.1', '192.0.2.2']).toContain(ask());
    table.set(0, Status.UNHEALTHY);
    table.publish();
    expect(ask()).toBe('192.0.2.2');
    table.set(1, Status.UNHEALTHY);
    table.publish();
    expect(['192.0.2.11', '192.0.2.12']).toContain(ask());
    // explain shows the path: the primary abandoned and why, the secondary taken, each target set below it.
    const ex = resolver.explain(`api.${ZONE}`);
    const [primary, secondary] = ex.recordSets[0]!.candidates;
    expect(primary!.alias?.targetHealthy).toBe(false);
    expect(primary!.eligible).toBe(false);
    expect(primary!.reason).toContain(`alias to eu.${ZONE}: the target has no healthy answer (evaluateTargetHealth)`);
    expect(secondary!.eligible).toBe(true);
    expect(secondary!.alias?.recordSet.candidates.map((c) => c.eligible)).toEqual([true, true]);
    expect(ex.recordSets[0]!.outcome).toBe('the secondary');
    // Both regions down: every record unhealthy at each level → the primary, and any of its answers.
    for (const s of [2, 3]) table.set(s, Status.UNHEALTHY);
    table.publish();
    expect(['192.0.2.1', '192.0.2.2']).toContain(ask());
    // Without evaluateTargetHealth the primary stays chosen whatever its target's health.
    const noEth = compileConfig(
      documentOf(
        sets.map((s) =>
          s.name === `api.${ZONE}`
            ? { ...s, answers: s.answers.map((a) => ({ ...a, evaluateTargetHealth: false })) }
            : s,
        ),
      ),
    );
    const r2 = new Resolver(noEth, table, { seed: 1 });
    for (const s of [0, 1]) table.set(s, Status.UNHEALTHY);
    for (const s of [2, 3]) table.set(s, Status.HEALTHY);
    table.publish();
    expect(['192.0.2.1', '192.0.2.2']).toContain(r2.resolve(`api.${ZONE}`).addresses.join(' '));
  });
});

describe('alias mistakes are config errors naming the path', () => {
  function problems(records: unknown[]): string[] {
    try {
      validateConfig({ ...documentOf([]), records });
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
      throw err;
    }
    return [];
  }
  const a = (name: string, target: string, type = 'A') => ({
    name: `${name}.${ZONE}`,
    type,
    answers: [{ alias: `${target}.${ZONE}`, evaluateTargetHealth: true }],
  });

  it('a cycle, a type mismatch, a missing target, multivalue, value and alias together', () => {
    expect(problems([a('x', 'y'), a('y', 'x')])).toEqual([
      `records[1].answers[0].alias: "x.${ZONE}" makes a cycle: x.${ZONE} A → y.${ZONE} A → x.${ZONE} A`,
    ]);
    expect(problems([a('x', 'y'), { name: `y.${ZONE}`, type: 'TXT', answers: [{ value: 'hi' }] }])).toEqual([
      `records[0].answers[0].alias: "y.${ZONE}" has no A record set (it has TXT): an alias points at a set of its own type`,
    ]);
    expect(problems([a('x', 'nowhere')])).toEqual([
      `records[0].answers[0].alias: "nowhere.${ZONE}" has no A record set`,
    ]);
    expect(
      problems([
        {
          name: `m.${ZONE}`,
          type: 'A',
          policy: 'multivalue',
          answers: [{ alias: `w.${ZONE}`, evaluateTargetHealth: false }],
        },
        {
          name: `v.${ZONE}`,
          type: 'A',
          answers: [{ value: '192.0.2.1', alias: `w.${ZONE}`, evaluateTargetHealth: true }],
        },
        { name: `w.${ZONE}`, type: 'A', answers: [{ value: '192.0.2.2' }] },
      ]),
    ).toEqual([
      'records[0].answers[0].alias: not allowed in a multivalue record set (as in Route 53: use weighted, failover or simple)',
      'records[1].answers[0].alias: give value or alias, not both (an alias answers what its target answers)',
    ]);
    expect(
      problems([{ name: `x.${ZONE}`, type: 'A', answers: [{ alias: `y.${ZONE}` }] }, a('y', 'z'), a('z', 'x')]),
    ).toContain('records[0].answers[0].evaluateTargetHealth: required with alias (true or false)');
  });

  it('a tree deeper than the maximum', () => {
    const chain = ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i, all) =>
      i < all.length - 1 ? a(n, all[i + 1]!) : { name: `f.${ZONE}`, type: 'A', answers: [{ value: '192.0.2.1' }] },
    );
    expect(problems(chain)[0]).toMatch(
      /^records\[0\]\.answers\[0\]\.alias: alias tree deeper than 4 aliases: a\.tree\.test A → /,
    );
  });
});
