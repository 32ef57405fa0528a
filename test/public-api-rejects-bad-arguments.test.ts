import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as urnd from '../src/index.js';

/**
 * A plain-JavaScript caller of the public API gets a UrndError naming the
 * argument, not a TypeError from inside the resolver. The calls go through
 * `unknown` to do what untyped code can do.
 */
const DEMO = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(urnd.UrndError);
    return `${(err as urnd.UrndError).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('public entry points check their arguments', async () => {
  const plan = urnd.compileConfig(await urnd.loadConfigFile(DEMO));
  const table = urnd.StatusTable.create(plan.cell.capacity);
  const resolver = new urnd.Resolver(plan, table);
  const untyped = resolver as unknown as Record<string, (...args: unknown[]) => unknown>;
  const call =
    (method: string, ...args: unknown[]) =>
    () =>
      untyped[method]!.apply(resolver, args);

  it('Resolver.resolve: a type that is not a record type name, a name that is not a string', () => {
    expect(codeOf(call('resolve', 'www.demo.test', 'a'))).toBe(
      'URND_ERR_ARGUMENT: type: "a" is not one of A, AAAA, CNAME, TXT, MX, SRV, CAA, PTR, NS or a RecordType',
    );
    expect(codeOf(call('resolve', 123))).toBe('URND_ERR_ARGUMENT: name: 123 is not a DNS name string');
    expect(codeOf(call('resolve'))).toBe('URND_ERR_ARGUMENT: name: undefined is not a DNS name string');
    // And the good calls still answer.
    expect(resolver.resolve('WWW.demo.test.', 'A').status).toBe('ok');
    expect(resolver.resolve('v6.demo.test', urnd.RecordType.AAAA).addresses).toEqual(['::1']);
  });

  it('Resolver.resolveInto and explain', () => {
    const out = new Int32Array(urnd.RESOLVE_BUFFER_LENGTH);
    expect(codeOf(call('resolveInto', 'www.demo.test', 9, out))).toBe('URND_ERR_ARGUMENT: type: 9 is not a RecordType');
    expect(codeOf(call('resolveInto', 5, urnd.RecordType.A, out))).toBe(
      'URND_ERR_ARGUMENT: name: 5 is not a DNS name string',
    );
    expect(codeOf(call('explain', null))).toBe('URND_ERR_ARGUMENT: name: null is not a DNS name string');
    expect(resolver.resolveInto('nope.demo.test', urnd.RecordType.A, out)).toBe(urnd.ResolveCode.NXDOMAIN);
  });

  it('new Resolver, setPlan, createLookup and its callback', () => {
    const R = urnd.Resolver as unknown as new (...args: unknown[]) => unknown;
    expect(codeOf(() => new R({}, table))).toBe(
      'URND_ERR_ARGUMENT: plan: an object is not a compiled Plan (what compileConfig returns)',
    );
    expect(codeOf(() => new R(plan, {}))).toBe('URND_ERR_ARGUMENT: table: an object is not a StatusTable');
    expect(codeOf(call('setPlan', 'plan.yaml'))).toBe(
      'URND_ERR_ARGUMENT: plan: "plan.yaml" is not a compiled Plan (what compileConfig returns)',
    );
    const createLookup = urnd.createLookup as unknown as (...args: unknown[]) => (...args: unknown[]) => unknown;
    expect(codeOf(() => createLookup(null))).toBe('URND_ERR_ARGUMENT: resolver: null is not a Resolver');
    const lookup = createLookup(resolver);
    expect(codeOf(() => lookup('www.demo.test'))).toBe('URND_ERR_ARGUMENT: callback: undefined is not a function');
    expect(codeOf(() => lookup(5, () => {}))).toBe('URND_ERR_ARGUMENT: name: 5 is not a DNS name string');
  });
});
