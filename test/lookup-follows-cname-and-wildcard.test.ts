import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { Resolver } from '../src/resolve/resolver.js';
import { createLookup, type LookupAddress, type LookupFunction } from '../src/resolve/lookup.js';

/**
 * createLookup answers names the way the DNS front does: a CNAME inside our
 * zones is followed (its target chosen by health), a wildcard covers names
 * that do not exist, and a CNAME to a name outside our zones is handed to
 * the passthrough, with that target name.
 */
const plan = compileConfig({
  cell: { name: 'lookup', capacity: 8 },
  checks: [{ id: 'blue', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 }],
  zones: [{ origin: 'l.test' }],
  records: [
    { name: 'www.l.test', type: 'CNAME', answers: [{ value: 'lb' }] },
    {
      name: 'lb.l.test',
      type: 'CNAME',
      policy: 'failover',
      answers: [
        { value: 'blue', role: 'primary', check: 'blue' },
        { value: 'green', role: 'secondary' },
      ],
    },
    { name: 'blue.l.test', type: 'A', answers: [{ value: '127.0.2.1' }] },
    { name: 'green.l.test', type: 'A', answers: [{ value: '127.0.2.2' }] },
    { name: '*.l.test', type: 'A', answers: [{ value: '127.0.2.9' }] },
    { name: 'cdn.l.test', type: 'CNAME', answers: [{ value: 'edge.cdn.invalid.' }] },
  ],
});
const table = StatusTable.create(8);
const resolver = new Resolver(plan, table, { seed: 4 });

function lookupAll(lookup: LookupFunction, name: string): Promise<LookupAddress[] | string> {
  return new Promise((resolve) =>
    lookup(name, { all: true, family: 4 }, (err, addresses) =>
      resolve(err === null ? (addresses as LookupAddress[]) : String(err.code)),
    ),
  );
}

describe('createLookup follows CNAMEs and wildcards', () => {
  it('a CNAME chain to addresses, following health; a wildcard; a target outside to the passthrough', async () => {
    const passed: string[] = [];
    const passthrough: LookupFunction = (host, _opts, cb) => {
      passed.push(host);
      (cb as (e: null, a: LookupAddress[]) => void)(null, [{ address: '192.0.2.99', family: 4 }]);
    };
    const lookup = createLookup(resolver, { passthrough });
    expect(await lookupAll(lookup, 'www.l.test')).toEqual([{ address: '127.0.2.1', family: 4 }]);
    table.set(1, Status.UNHEALTHY);
    table.publish();
    expect(await lookupAll(lookup, 'www.l.test')).toEqual([{ address: '127.0.2.2', family: 4 }]);
    expect(await lookupAll(lookup, 'anything.l.test')).toEqual([{ address: '127.0.2.9', family: 4 }]);
    expect(await lookupAll(lookup, 'cdn.l.test')).toEqual([{ address: '192.0.2.99', family: 4 }]);
    expect(passed).toEqual(['edge.cdn.invalid']);
    const closed = createLookup(resolver, { passthrough: false });
    expect(await lookupAll(closed, 'cdn.l.test')).toBe('ENOTFOUND');
  });
});
