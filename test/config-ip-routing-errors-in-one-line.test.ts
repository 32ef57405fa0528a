import { describe, expect, it } from 'vitest';
import { compileConfig, decodePlan, encodePlan, validateConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { Policy } from '../src/config/plan.js';

/**
 * `policy: ip` documents: CIDR collections with named locations, a `*`
 * default answer, and every mistake reported as one line naming the path
 * and the value.
 */
const collections = [
  {
    name: 'offices',
    locations: [
      { name: 'eu', cidrs: ['192.0.2.0/24', '2001:db8::/32'] },
      { name: 'us', cidrs: ['198.51.100.0/24'] },
    ],
  },
];

function doc(records: unknown[], cidrCollections: unknown[] = collections): Record<string, unknown> {
  return {
    cell: { name: 'ip', capacity: 16 },
    checks: [{ id: 'c', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 }],
    zones: [{ origin: 'shop.example' }],
    cidrCollections,
    records,
  };
}

function problems(records: unknown[], cidrCollections?: unknown[]): string[] {
  try {
    validateConfig(doc(records, cidrCollections));
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const ipSet = (answers: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'www.shop.example',
  type: 'A',
  policy: 'ip',
  cidrCollection: 'offices',
  answers,
  ...extra,
});

const good = ipSet([
  { value: '10.0.0.1', location: 'eu', check: 'c' },
  { value: '10.0.0.2', location: 'us' },
  { value: '10.0.0.9', location: '*' },
]);

describe('a valid ip set compiles', () => {
  it('locations by index, the default as 0, and survives encode/decode byte for byte', () => {
    const plan = compileConfig(doc([good]));
    expect(plan.setPolicy[0]).toBe(Policy.IP);
    expect(plan.setCidrCollection[0]).toBe(1);
    expect(Array.from(plan.answerLocation)).toEqual([1, 2, 0]);
    // Default, then eu → answer 0, us → answer 1.
    expect(Array.from(plan.ipLocationAnswer)).toEqual([2, 0, 1]);
    const again = decodePlan(encodePlan(plan));
    expect(again.version).toBe(plan.version);
    expect(again.cidrCollections).toEqual(plan.cidrCollections);
    expect(Array.from(again.ipLocationAnswer)).toEqual([2, 0, 1]);
  });

  it('a location the set does not use answers the default', () => {
    const plan = compileConfig(
      doc([
        ipSet([
          { value: '10.0.0.1', location: 'eu' },
          { value: '10.0.0.9', location: '*' },
        ]),
      ]),
    );
    expect(Array.from(plan.ipLocationAnswer)).toEqual([1, 0, 1]);
  });

  it('a decoded plan keeps the previous CIDR table when the collections are unchanged', () => {
    const plan = compileConfig(doc([good]));
    const again = decodePlan(encodePlan(plan), undefined, plan);
    expect(again.cidrTables[0]).toBe(plan.cidrTables[0]);
  });

  it('validation and compile build each table once: a second compile of the same blocks reuses it; other blocks do not', () => {
    const a = compileConfig(doc([good]));
    expect(compileConfig(doc([good])).cidrTables[0]).toBe(a.cidrTables[0]);
    const moved = [
      {
        ...collections[0],
        locations: [
          { name: 'eu', cidrs: ['192.0.3.0/24'] },
          { name: 'us', cidrs: ['198.51.100.0/24'] },
        ],
      },
    ];
    const b = compileConfig(doc([good], moved));
    expect(b.cidrTables[0]).not.toBe(a.cidrTables[0]);
    expect(b.cidrTables[0]?.matchText('192.0.3.1')?.collection).toBe(0);
    expect(a.cidrTables[0]?.matchText('192.0.3.1')?.collection).toBe(-1);
  });
});

describe('every mistake in one line, naming the path and the value', () => {
  it.each([
    [
      'a bad CIDR',
      [good],
      [
        {
          name: 'offices',
          locations: [
            { name: 'eu', cidrs: ['192.0.2.0/33'] },
            { name: 'us', cidrs: ['198.51.100.0/24'] },
          ],
        },
      ],
      /^cidrCollections\[0\]\.locations\[0\]\.cidrs\[0\]: .*192\.0\.2\.0\/33/,
    ],
    [
      'host bits set',
      [good],
      [
        {
          name: 'offices',
          locations: [
            { name: 'eu', cidrs: ['192.0.2.1/24'] },
            { name: 'us', cidrs: ['198.51.100.0/24'] },
          ],
        },
      ],
      /^cidrCollections\[0\]\.locations\[0\]\.cidrs\[0\]: .*192\.0\.2\.0\/24/,
    ],
    [
      'a block in two locations',
      [good],
      [
        {
          name: 'offices',
          locations: [
            { name: 'eu', cidrs: ['192.0.2.0/24'] },
            { name: 'us', cidrs: ['192.0.2.0/24'] },
          ],
        },
      ],
      /^cidrCollections\[0\]\.locations\[1\]\.cidrs\[0\]: /,
    ],
    [
      'a location name used twice',
      [good],
      [
        {
          name: 'offices',
          locations: [
            { name: 'eu', cidrs: ['192.0.2.0/24'] },
            { name: 'eu', cidrs: ['198.51.100.0/24'] },
          ],
        },
      ],
      /^cidrCollections\[0\]\.locations\[1\]\.name: "eu" is already used by locations\[0\]$/,
    ],
    [
      'a collection name used twice',
      [good],
      [...collections, ...collections],
      /^cidrCollections\[1\]\.name: "offices" is already used by cidrCollections\[0\]$/,
    ],
    [
      'an ip set without a default',
      [ipSet([{ value: '10.0.0.1', location: 'eu' }])],
      undefined,
      /^records\[0\]\.answers: an ip record set needs an answer with location \*/,
    ],
    [
      'a location used twice in a set',
      [
        ipSet([
          { value: '10.0.0.1', location: 'eu' },
          { value: '10.0.0.2', location: 'eu' },
          { value: '10.0.0.9', location: '*' },
        ]),
      ],
      undefined,
      /^records\[0\]\.answers\[1\]\.location: "eu" is already used by answers\[0\]$/,
    ],
    [
      'a location not in the collection',
      [
        ipSet([
          { value: '10.0.0.1', location: 'asia' },
          { value: '10.0.0.9', location: '*' },
        ]),
      ],
      undefined,
      /^records\[0\]\.answers\[0\]\.location: "asia" is not a location of CIDR collection "offices"$/,
    ],
    [
      'no collection named',
      [ipSet([{ value: '10.0.0.9', location: '*' }], { cidrCollection: 'nope' })],
      undefined,
      /^records\[0\]\.cidrCollection: no CIDR collection is named "nope"$/,
    ],
    [
      'an ip set without a collection',
      [{ name: 'www.shop.example', type: 'A', policy: 'ip', answers: [{ value: '10.0.0.9', location: '*' }] }],
      undefined,
      /^records\[0\]\.cidrCollection: required for an ip record set/,
    ],
    [
      'an answer without a location',
      [ipSet([{ value: '10.0.0.1' }, { value: '10.0.0.9', location: '*' }])],
      undefined,
      /^records\[0\]\.answers\[0\]\.location: required for an ip record set/,
    ],
    [
      'a location on another policy',
      [{ name: 'www.shop.example', type: 'A', policy: 'multivalue', answers: [{ value: '10.0.0.1', location: 'eu' }] }],
      undefined,
      /^records\[0\]\.answers\[0\]\.location: only allowed on an ip record set \(this one is multivalue\)$/,
    ],
    [
      'an alias in an ip set',
      [
        ipSet([
          { alias: 'x.shop.example', evaluateTargetHealth: true, location: 'eu' },
          { value: '10.0.0.9', location: '*' },
        ]),
        { name: 'x.shop.example', type: 'A', answers: [{ value: '10.0.0.3' }] },
      ],
      undefined,
      /^records\[0\]\.answers\[0\]\.alias: not allowed in an ip record set/,
    ],
    [
      'an alias to an ip set',
      [
        good,
        { name: 'a.shop.example', type: 'A', answers: [{ alias: 'www.shop.example', evaluateTargetHealth: false }] },
      ],
      undefined,
      /^records\[1\]\.answers\[0\]\.alias: "www\.shop\.example" is an ip record set: ip sets are not alias targets$/,
    ],
  ])('%s', (_what, records, cidrCollections, line) => {
    const found = problems(records, cidrCollections);
    expect(
      found.some((p) => line.test(p)),
      found.join('\n'),
    ).toBe(true);
    for (const p of found) expect(p).not.toMatch(/\n/);
  });
});
