import { describe, it, expect } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig, loadConfigFile, parseConfigText, validateConfig } from '../src/config/index.js';
import { ConfigError, type ConfigIssue } from '../src/errors.js';

type Doc = {
  cell: Record<string, unknown>;
  checks: Record<string, unknown>[];
  zones: Record<string, unknown>[];
  records: Record<string, unknown>[];
};

/** A small valid document; each case breaks one thing in a fresh copy. */
function base(): Doc {
  return {
    cell: { name: 'demo', capacity: 16384 },
    checks: [
      { id: 'web-1', slot: 0, type: 'http', host: '127.0.1.1', port: 8080 },
      { id: 'web-2', slot: 7, type: 'tcp', host: '127.0.1.2', port: 8080 },
      { id: 'web-3', slot: 2, type: 'https', host: 'web3.demo.test' },
      { id: 'web-4', slot: 3, type: 'tcp', host: '::1', port: 22 },
      { id: 'web-5', slot: 4, type: 'tcp', host: 'localhost', port: 22 },
      { id: 'web-any', slot: 10, type: 'calculated', children: ['web-1', 'web-2'] },
    ],
    zones: [{ origin: 'demo.test' }],
    records: [
      {
        name: 'www.demo.test',
        type: 'A',
        policy: 'weighted',
        answers: [
          { value: '127.0.1.1', weight: 1, check: 'web-1' },
          { value: '127.0.1.2', weight: 2, check: 'web-2' },
          { value: '127.0.1.3', weight: 3 },
        ],
      },
      {
        name: 'api.demo.test',
        type: 'A',
        policy: 'failover',
        answers: [
          { value: '127.0.1.9', role: 'primary', check: 'web-1' },
          { value: '127.0.1.10', role: 'secondary' },
        ],
      },
      { name: 'static.demo.test', type: 'A', answers: [{ value: '127.0.2.1' }] },
      { name: 'v6.demo.test', type: 'AAAA', policy: 'multivalue', answers: [{ value: '::1' }] },
    ],
  };
}

function rejection(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the document to be rejected');
}

const line = (i: ConfigIssue): string => (i.path === '' ? i.message : `${i.path}: ${i.message}`);

const cases: [string, (d: Doc) => void, string][] = [
  [
    'weight above 255',
    (d) => ((d.records[0]!.answers as Record<string, unknown>[])[1]!.weight = 300),
    'records[0].answers[1].weight: 300 is above 255',
  ],
  [
    'unknown check type',
    (d) => (d.checks[2]!.type = 'udp'),
    'checks[2].type: "udp" is not one of tcp, http, https, calculated',
  ],
  ['missing check type', (d) => delete d.checks[2]!.type, 'checks[2].type: required'],
  [
    'slot beyond capacity',
    (d) => (d.checks[4]!.slot = 20000),
    'checks[4].slot: 20000 is not below the cell capacity 16384',
  ],
  [
    'unknown check reference',
    (d) => ((d.records[0]!.answers as Record<string, unknown>[])[2]!.check = 'web-9'),
    'records[0].answers[2].check: no check has id "web-9"',
  ],
  [
    'IPv6 value in an A set',
    (d) => ((d.records[1]!.answers as Record<string, unknown>[])[0]!.value = '::1'),
    'records[1].answers[0].value: "::1" is not an IPv4 address (record type A)',
  ],
  [
    'IPv4 value in an AAAA set',
    (d) => ((d.records[3]!.answers as Record<string, unknown>[])[0]!.value = '1.2.3.4'),
    'records[3].answers[0].value: "1.2.3.4" is not an IPv6 address (record type AAAA)',
  ],
  ['duplicate check id', (d) => (d.checks[3]!.id = 'web-1'), 'checks[3].id: "web-1" is already used by checks[0]'],
  ['duplicate slot', (d) => (d.checks[3]!.slot = 7), 'checks[3].slot: 7 is already used by checks[1]'],
  [
    'more checks than slots',
    (d) => {
      d.cell.capacity = 16;
      d.checks = Array.from({ length: 20 }, (_, i) => ({
        id: `c${i}`,
        slot: i,
        type: 'tcp',
        host: '127.0.0.1',
        port: 9,
      }));
      d.records = [];
    },
    'checks: 20 checks do not fit the cell capacity 16',
  ],
  [
    'duplicate record set',
    (d) => d.records.push({ name: 'WWW.demo.test.', type: 'A', answers: [{ value: '127.0.0.1' }] }),
    'records[4]: www.demo.test A is already defined by records[0]',
  ],
  [
    'record outside every zone',
    (d) => (d.records[2]!.name = 'x.other'),
    'records[2].name: "x.other" is not inside any zone',
  ],
  ['missing cell name', (d) => delete d.cell.name, 'cell.name: required'],
  ['missing cell', (d) => delete (d as Partial<Doc>).cell, 'cell: required'],
  ['string where a number goes', (d) => (d.records[0]!.ttl = 'abc'), 'records[0].ttl: expected a number, got "abc"'],
  [
    'unknown field',
    (d) => (d.zones[0]!.tll = 60),
    'zones[0].tll: unknown field; known fields here: origin, ttl, soa, ns, file',
  ],
  [
    'field of another check type',
    (d) => (d.checks[1]!.path = '/x'),
    'checks[1].path: unknown field; tcp checks have: id, slot, type, host, port, interval, timeout, failureThreshold, inverted, disabled',
  ],
  ['capacity too large', (d) => (d.cell.capacity = 2_000_000), 'cell.capacity: 2000000 is above 1048576'],
  ['capacity zero', (d) => (d.cell.capacity = 0), 'cell.capacity: 0 is below 1'],
  [
    'cell name with capitals',
    (d) => (d.cell.name = 'Demo'),
    'cell.name: "Demo" may only hold a-z 0-9 - _ . (1 to 63 characters)',
  ],
  [
    'bad check id',
    (d) => (d.checks[0]!.id = 'web 1'),
    'checks[0].id: "web 1" is not a valid id (1 to 64 of A-Z a-z 0-9 _ . -)',
  ],
  ['fractional port', (d) => (d.checks[1]!.port = 80.5), 'checks[1].port: 80.5 is not a whole number'],
  ['port out of range', (d) => (d.checks[1]!.port = 70000), 'checks[1].port: 70000 is above 65535'],
  ['tcp without port', (d) => delete d.checks[1]!.port, 'checks[1].port: required'],
  [
    'bad host',
    (d) => (d.checks[0]!.host = 'bad host!'),
    'checks[0].host: "bad host!" is not an IP address or host name',
  ],
  [
    'mistyped address',
    (d) => (d.checks[0]!.host = '127.0.1'),
    'checks[0].host: "127.0.1" is not an IP address or host name',
  ],
  ['path without slash', (d) => (d.checks[0]!.path = 'health'), 'checks[0].path: "health" does not start with "/"'],
  [
    'inverted status range',
    (d) => (d.checks[0]!.status = [500, 399]),
    'checks[0].status: [500, 399] is not a range: 500 is above 399',
  ],
  ['status out of range', (d) => (d.checks[0]!.status = [200, 600]), 'checks[0].status[1]: 600 is above 599'],
  [
    'status not a pair',
    (d) => (d.checks[0]!.status = 200),
    'checks[0].status: expected a range [min, max] such as [200, 399], got 200',
  ],
  ['empty bodyMatch', (d) => (d.checks[0]!.bodyMatch = ''), 'checks[0].bodyMatch: must not be empty'],
  ['interval below 1s', (d) => (d.checks[0]!.interval = '500ms'), 'checks[0].interval: "500ms" is below 1s'],
  ['interval above 300s', (d) => (d.checks[0]!.interval = '6m'), 'checks[0].interval: "6m" is above 5m'],
  [
    'interval not a duration',
    (d) => (d.checks[0]!.interval = '10 sec'),
    'checks[0].interval: "10 sec" is not a duration such as 500ms, 10s or 1m',
  ],
  [
    'interval of the wrong type',
    (d) => (d.checks[0]!.interval = true),
    'checks[0].interval: expected a duration such as 500ms, 10s or 1m, got true',
  ],
  [
    'timeout not below interval',
    (d) => Object.assign(d.checks[0]!, { interval: 5, timeout: '5s' }),
    'checks[0].timeout: 5s is not below the interval 5s',
  ],
  [
    'failureThreshold above 10',
    (d) => (d.checks[0]!.failureThreshold = 11),
    'checks[0].failureThreshold: 11 is above 10',
  ],
  [
    'verifyTls on http',
    (d) => (d.checks[0]!.verifyTls = true),
    'checks[0].verifyTls: unknown field; http checks have: id, slot, type, host, port, path, status, bodyMatch, interval, timeout, failureThreshold, inverted, disabled',
  ],
  [
    'unknown child',
    (d) => (d.checks[5]!.children = ['web-1', 'web-9']),
    'checks[5].children[1]: no check has id "web-9"',
  ],
  [
    'repeated child',
    (d) => (d.checks[5]!.children = ['web-1', 'web-2', 'web-1']),
    'checks[5].children[2]: "web-1" is already listed at children[0]',
  ],
  [
    'calculated child',
    (d) => d.checks.push({ id: 'meta', slot: 11, type: 'calculated', children: ['web-any'] }),
    'checks[6].children[0]: "web-any" is a calculated check; children must be probe checks',
  ],
  ['no children', (d) => (d.checks[5]!.children = []), 'checks[5].children: must not be empty'],
  [
    'duplicate zone',
    (d) => d.zones.push({ origin: 'Demo.Test.' }),
    'zones[1].origin: "Demo.Test." is already defined by zones[0]',
  ],
  [
    'bad zone origin',
    (d) => (d.zones[0]!.origin = 'demo..test'),
    'zones[0].origin: "demo..test" is not a valid DNS name',
  ],
  ['negative ttl', (d) => (d.zones[0]!.ttl = -1), 'zones[0].ttl: -1 is below 0'],
  [
    'unknown record type',
    (d) => (d.records[2]!.type = 'HINFO'),
    'records[2].type: "HINFO" is not one of A, AAAA, CNAME, TXT, MX, SRV, CAA, PTR, NS',
  ],
  [
    'unknown policy',
    (d) => (d.records[2]!.policy = 'geo'),
    'records[2].policy: "geo" is not one of simple, weighted, failover, multivalue, ip',
  ],
  ['no answers', (d) => (d.records[2]!.answers = []), 'records[2].answers: must not be empty'],
  [
    'too many answers',
    (d) => (d.records[2]!.answers = Array.from({ length: 129 }, (_, i) => ({ value: `10.0.${i >> 8}.${i & 255}` }))),
    'records[2].answers: 129 items are more than 128',
  ],
  [
    'repeated value',
    (d) => ((d.records[0]!.answers as Record<string, unknown>[])[2]!.value = '127.0.1.1'),
    'records[0].answers[2].value: "127.0.1.1" is already used by answers[0]',
  ],
  [
    'weight missing on weighted',
    (d) => delete (d.records[0]!.answers as Record<string, unknown>[])[2]!.weight,
    'records[0].answers[2].weight: required for a weighted record set',
  ],
  [
    'weight on multivalue',
    (d) => ((d.records[3]!.answers as Record<string, unknown>[])[0]!.weight = 1),
    'records[3].answers[0].weight: only allowed on a weighted record set (this one is multivalue)',
  ],
  [
    'check on simple',
    (d) => ((d.records[2]!.answers as Record<string, unknown>[])[0]!.check = 'web-1'),
    'records[2].answers[0].check: not allowed on a simple record set (simple sets are never filtered; use multivalue)',
  ],
  [
    'whenAllUnhealthy on simple',
    (d) => (d.records[2]!.whenAllUnhealthy = 'answer-none'),
    'records[2].whenAllUnhealthy: not allowed on a simple record set (simple sets are never filtered; use multivalue)',
  ],
  [
    'two primaries',
    (d) => ((d.records[1]!.answers as Record<string, unknown>[])[1]!.role = 'primary'),
    'records[1].answers[1].role: "primary" is already used by answers[0]',
  ],
  [
    'two secondaries',
    (d) => ((d.records[1]!.answers as Record<string, unknown>[])[0]!.role = 'secondary'),
    'records[1].answers[1].role: "secondary" is already used by answers[0]',
  ],
  [
    'only a secondary',
    (d) => (d.records[1]!.answers as Record<string, unknown>[]).shift(),
    'records[1].answers: a failover record set needs an answer with role primary',
  ],
  [
    'role missing on failover',
    (d) => delete (d.records[1]!.answers as Record<string, unknown>[])[1]!.role,
    'records[1].answers[1].role: required for a failover record set (primary or secondary)',
  ],
  [
    'role on weighted',
    (d) => ((d.records[0]!.answers as Record<string, unknown>[])[0]!.role = 'primary'),
    'records[0].answers[0].role: only allowed on a failover record set (this one is weighted)',
  ],
  ['not an object', (d) => ((d.checks as unknown[])[1] = 5), 'checks[1]: expected an object, got 5'],
];

describe('each problem is reported as path: message, naming the value', () => {
  it.each(cases)('%s', (_name, breakIt, expected) => {
    const doc = base();
    breakIt(doc);
    const err = rejection(() => validateConfig(doc));
    expect(err.code).toBe('URND_ERR_CONFIG_INVALID');
    expect(err.issues.map(line)).toContain(expected);
  });

  it('the base document is valid', () => {
    expect(() => compileConfig(base())).not.toThrow();
  });

  it('a non-object document is one problem at the top', () => {
    const err = rejection(() => validateConfig('hello'));
    expect(err.issues).toEqual([{ path: '', message: 'expected an object, got "hello"' }]);
  });
});

describe('every problem at once, and nothing applied', () => {
  it('reports all problems of a document in one error, in document order', () => {
    const doc = base();
    doc.cell.capacity = 8;
    doc.checks[3]!.id = 'web-1';
    doc.checks[4]!.slot = 7;
    (doc.records[0]!.answers as Record<string, unknown>[])[1]!.weight = 300;
    (doc.records[2]!.answers as Record<string, unknown>[])[0]!.value = '::1';
    doc.records[3]!.name = 'v6.elsewhere.test';
    const err = rejection(() => compileConfig(doc));
    expect(err.code).toBe('URND_ERR_CONFIG_INVALID');
    expect(err.issues.map(line)).toEqual([
      'checks[3].id: "web-1" is already used by checks[0]',
      'checks[4].slot: 7 is already used by checks[1]',
      'checks[5].slot: 10 is not below the cell capacity 8',
      'records[0].answers[1].weight: 300 is above 255',
      'records[2].answers[0].value: "::1" is not an IPv4 address (record type A)',
      'records[3].name: "v6.elsewhere.test" is not inside any zone',
    ]);
    expect(err.message).toContain('config rejected (6 problems)');
    expect(err.message).toContain('records[0].answers[1].weight: 300 is above 255');
  });

  it('reports field and cross-field problems of the same check together', () => {
    const doc = base();
    Object.assign(doc.checks[1]!, { id: 'web-1', port: 1.5, interval: '0s' });
    const issues = rejection(() => validateConfig(doc)).issues.map(line);
    expect(issues).toContain('checks[1].id: "web-1" is already used by checks[0]');
    expect(issues).toContain('checks[1].port: 1.5 is not a whole number');
    expect(issues).toContain('checks[1].interval: "0s" is below 1s');
  });

  it('one bad zone origin is not repeated for every record in it', () => {
    const doc = base();
    doc.zones[0]!.origin = 'bad zone';
    const issues = rejection(() => validateConfig(doc)).issues.map(line);
    expect(issues).toEqual(['zones[0].origin: "bad zone" is not a valid DNS name']);
  });

  it('rejects the whole document: no plan, no partial document', () => {
    const doc = base();
    (doc.records[0]!.answers as Record<string, unknown>[])[0]!.weight = 256;
    let plan: unknown;
    expect(() => {
      plan = compileConfig(doc);
    }).toThrow(ConfigError);
    expect(plan).toBeUndefined();
  });
});

describe('reading and parsing', () => {
  it('YAML syntax errors give URND_ERR_CONFIG_PARSE with line and column', () => {
    const err = rejection(() => parseConfigText('cell:\n  name: x\n  capacity: [1, 2\nchecks: []\n', 'cell.yaml'));
    expect(err.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(err.issues[0]!.message).toMatch(/^cell\.yaml:4:1: /);
    const dup = rejection(() => parseConfigText('cell:\n  name: x\ncell:\n  name: y\n'));
    expect(dup.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(dup.issues[0]!.message).toBe('line 3, column 1: duplicated mapping key');
  });

  it('JSON syntax errors are parse errors too', () => {
    const err = rejection(() => parseConfigText('{"cell": {"name": "x"'));
    expect(err.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(err.issues[0]!.message).toMatch(/^line \d+, column \d+: /);
  });

  it('an empty document is a parse error', () => {
    for (const text of ['', '\n\n', '# only a comment\n']) {
      const err = rejection(() => parseConfigText(text, 'empty.yaml'));
      expect(err.code).toBe('URND_ERR_CONFIG_PARSE');
      expect(err.issues).toEqual([{ path: '', message: 'empty.yaml is empty' }]);
    }
  });

  it('an unknown tag is refused rather than read as a string', () => {
    const err = rejection(() => parseConfigText('cell: { name: demo, capacity: !big 10 }'));
    expect(err.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(err.issues[0]!.message).toContain('unknown tag !<!big>');
  });

  it('aliases that would expand past the limit are a parse error, found without expanding them', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const err = rejection(() => parseConfigText(lines.join('\n')));
    expect(err.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(err.issues[0]!.message).toContain('aliases expand to more than');
  });

  it('a well-formed but invalid document is URND_ERR_CONFIG_INVALID', () => {
    const err = rejection(() =>
      parseConfigText(
        'cell: { name: demo }\nrecords:\n  - { name: www.demo.test, type: A, answers: [{ value: 1.2.3.4 }] }\n',
      ),
    );
    expect(err.code).toBe('URND_ERR_CONFIG_INVALID');
    expect(err.issues.map(line)).toEqual(['records[0].name: "www.demo.test" is not inside any zone']);
  });

  it('a file that cannot be read is URND_ERR_CONFIG_READ', async () => {
    const missing = join(tmpdir(), 'urnd-no-such-dir', 'nope.yaml');
    const err = await loadConfigFile(missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('URND_ERR_CONFIG_READ');
    expect((err as ConfigError).issues[0]!.message).toBe(`cannot read ${missing}: no such file`);
  });

  it('a file with a problem names the file in parse errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'urnd-config-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'cell: [\n');
    const err = await loadConfigFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ConfigError).code).toBe('URND_ERR_CONFIG_PARSE');
    expect((err as ConfigError).issues[0]!.message.startsWith(`${file}:`)).toBe(true);
  });
});
