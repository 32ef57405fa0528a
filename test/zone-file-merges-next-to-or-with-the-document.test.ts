import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileConfig, loadConfig, loadConfigFile, parseConfigText } from '../src/config/index.js';
import { validateConfigFile } from '../src/config/validate-file.js';
import { ConfigError } from '../src/errors.js';

/**
 * `zones[].file` is read relative to the document's folder (or fetched
 * relative to its URL), merged into the document before validation (the
 * document's own sets of the same name and type replace the file's, the
 * file's apex SOA and NS fill what the zone does not give), and every
 * problem of a file is reported at `zones[i].file` with the file and line.
 */
const ZONE = [
  '$TTL 300',
  '@ IN SOA ns1 admin.shop.example. ( 42 7200 900 1209600 120 )',
  '  IN NS ns1',
  '  IN NS ns2.provider.example.',
  '  IN A 127.0.0.10',
  'ns1 IN A 127.0.0.53',
  'www 60 IN A 127.0.0.11',
  '    60 IN A 127.0.0.12',
  'v6 AAAA ::1',
].join('\n');

const doc = (zone: string, records = '[]') =>
  ['cell: { name: zf, capacity: 16 }', `zones: [${zone}]`, `records: ${records}`].join('\n');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-zone-file-'));
  mkdirSync(path.join(dir, 'conf', 'zones'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loaded, but should have been rejected');
}

describe('a zone file next to the document', () => {
  it('is read relative to the document folder, not the working directory, and merged as simple sets', async () => {
    write('conf/zones/shop.zone', ZONE);
    const file = write('conf/cell.yaml', doc('{ origin: shop.example, file: zones/shop.zone }'));
    expect(path.relative(process.cwd(), file)).not.toBe('cell.yaml');
    const loaded = await loadConfigFile(file);
    expect(loaded.zones[0]).not.toHaveProperty('file');
    expect(loaded.records.map((r) => [r.name, r.type, r.ttl, r.policy, r.answers.map((a) => a.value)])).toEqual([
      ['shop.example.', 'A', 300, 'simple', ['127.0.0.10']],
      ['ns1.shop.example.', 'A', 300, 'simple', ['127.0.0.53']],
      ['www.shop.example.', 'A', 60, 'simple', ['127.0.0.11', '127.0.0.12']],
      ['v6.shop.example.', 'AAAA', 300, 'simple', ['::1']],
    ]);
    // The file's apex SOA and NS describe the zone when the document does not.
    expect(loaded.zones[0]?.soa).toEqual({
      mname: 'ns1.shop.example.',
      rname: 'admin.shop.example.',
      serial: 42,
      refresh: 7200,
      retry: 900,
      expire: 1_209_600,
      minimum: 120,
    });
    expect(loaded.zones[0]?.ns).toEqual(['ns1.shop.example.', 'ns2.provider.example.']);
    const plan = compileConfig(loaded);
    expect(plan.setCount).toBe(4);
    expect(plan.zones[0]?.soa.serial).toBe(42);
    // `urnd validate` reads it the same way.
    expect((await validateConfigFile(file)).version).toBe(plan.version);
  });

  it("the document's sets of the same name and type, and its soa fields and ns, win over the file's", async () => {
    write('conf/zones/shop.zone', ZONE);
    const file = write(
      'conf/override.yaml',
      doc(
        '{ origin: shop.example, file: zones/shop.zone, soa: { serial: 7 }, ns: [ns9.shop.example] }',
        '[{ name: www.shop.example, type: A, policy: multivalue, answers: [{ value: 127.0.0.99 }] }]',
      ),
    );
    const loaded = await loadConfigFile(file);
    const www = loaded.records.filter((r) => r.name.toLowerCase().startsWith('www.'));
    expect(www).toHaveLength(1);
    expect(www[0]).toMatchObject({ policy: 'multivalue', answers: [{ value: '127.0.0.99' }] });
    expect(loaded.records.some((r) => r.name === 'v6.shop.example.' && r.type === 'AAAA')).toBe(true);
    expect(loaded.zones[0]?.soa).toMatchObject({ serial: 7, mname: 'ns1.shop.example.', minimum: 120 });
    expect(loaded.zones[0]?.ns).toEqual(['ns9.shop.example']);
  });

  it('a zone file without SOA and NS leaves the zone defaults and default TTL (the zone ttl)', async () => {
    write('conf/zones/bare.zone', 'a A 127.0.0.1');
    const loaded = await loadConfigFile(
      write('conf/bare.yaml', doc('{ origin: bare.test, ttl: 45, file: zones/bare.zone }')),
    );
    expect(loaded.zones[0]).toMatchObject({ ns: ['ns1.bare.test'], soa: { mname: 'ns1.bare.test', serial: 1 } });
    expect(loaded.records[0]).toMatchObject({ name: 'a.bare.test.', ttl: 45 });
  });

  it("a zone ttl out of range is the schema's to report, not the zone file's", async () => {
    write('conf/zones/ttl.zone', 'a A 127.0.0.1');
    const e = await rejection(
      loadConfigFile(write('conf/ttl.yaml', doc('{ origin: ttl.test, ttl: 3000000000, file: zones/ttl.zone }'))),
    );
    expect(e.issues).toEqual([{ path: 'zones[0].ttl', message: '3000000000 is above 2147483647' }]);
  });

  it('an absolute path is read as written', async () => {
    const zone = write('conf/zones/abs.zone', 'a A 127.0.0.1');
    const loaded = await loadConfigFile(
      write('conf/abs.yaml', doc(`{ origin: abs.test, file: ${JSON.stringify(zone)} }`)),
    );
    expect(loaded.records).toHaveLength(1);
  });
});

describe('a bad zone file rejects the document with file, line and reason', () => {
  it('a syntax error: URND_ERR_CONFIG_PARSE at zones[i].file', async () => {
    write('conf/zones/bad.zone', 'a A 127.0.0.1\nb IN MX ten mail\n');
    const e = await rejection(
      loadConfigFile(write('conf/bad.yaml', doc('{ origin: bad.test, file: zones/bad.zone }'))),
    );
    expect(e.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(e.issues).toEqual([
      {
        path: 'zones[0].file',
        message: `${path.join(dir, 'conf/zones/bad.zone')}:2: MX preference "ten" is not a whole number from 0 to 65535`,
      },
    ]);
  });

  it('a record the schema refuses is reported at its line in the file, not as a records[] index', async () => {
    write('conf/zones/invalid.zone', ['$TTL 60', 'ok A 127.0.0.1', 'bad A 127.0.0.1', '    A 127.0.0.300'].join('\n'));
    const e = await rejection(
      loadConfigFile(
        write(
          'conf/invalid.yaml',
          doc(
            '{ origin: invalid.test, file: zones/invalid.zone }',
            '[{ name: x.invalid.test, type: A, answers: [{ value: 1.2.3 }] }]',
          ),
        ),
      ),
    );
    expect(e.code).toBe('URND_ERR_CONFIG_INVALID');
    expect(e.issues).toEqual([
      { path: 'records[0].answers[0].value', message: expect.stringContaining('"1.2.3" is not an IPv4 address') },
      {
        path: 'zones[0].file',
        message: expect.stringMatching(/invalid\.zone:4: "127\.0\.0\.300" is not an IPv4 address/),
      },
    ]);
  });

  it("a bad SOA field from the file is reported at the SOA's line", async () => {
    write('conf/zones/soa.zone', '\n@ SOA bad_host!name. admin 1 2 3 4 5');
    const e = await rejection(
      loadConfigFile(write('conf/soa.yaml', doc('{ origin: soa.test, file: zones/soa.zone }'))),
    );
    expect(e.issues).toEqual([
      {
        path: 'zones[0].file',
        message: expect.stringMatching(/soa\.zone:2: SOA mname: "bad_host!name\." is not a valid DNS name/),
      },
    ]);
  });

  it('a missing file: URND_ERR_CONFIG_READ naming the resolved path; every file is reported at once', async () => {
    write('conf/zones/bad2.zone', 'a CH A 127.0.0.1');
    const e = await rejection(
      loadConfigFile(
        write(
          'conf/missing.yaml',
          doc('{ origin: a.test, file: zones/nope.zone }, { origin: b.test, file: zones/bad2.zone }'),
        ),
      ),
    );
    expect(e.code).toBe('URND_ERR_CONFIG_READ');
    expect(e.issues).toEqual([
      { path: 'zones[0].file', message: `cannot read ${path.join(dir, 'conf/zones/nope.zone')}: no such file` },
      { path: 'zones[1].file', message: expect.stringMatching(/bad2\.zone:1: class "CH" is not supported/) },
    ]);
  });

  it('an empty file name, and a file given to parseConfigText, which reads no files', async () => {
    const e = await rejection(loadConfigFile(write('conf/empty.yaml', doc('{ origin: e.test, file: "" }'))));
    expect(e.issues).toEqual([{ path: 'zones[0].file', message: 'must not be empty' }]);
    const typed = await rejection(loadConfigFile(write('conf/typed.yaml', doc('{ origin: e.test, file: 5 }'))));
    expect(typed.issues).toEqual([{ path: 'zones[0].file', message: 'expected a string, got 5' }]);
    expect(() => parseConfigText(doc('{ origin: e.test, file: shop.zone }'))).toThrow(
      /zones\[0\]\.file: "shop\.zone" is not read here: zone files are read when the document is loaded from a file or URL/,
    );
  });
});

describe('a document fetched from a URL', () => {
  let server: http.Server;
  let base = '';
  const files = new Map<string, string>();
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      const body = files.get(req.url ?? '');
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body ?? 'not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches its zone files relative to its URL', async () => {
    files.set('/cells/one/cell.yaml', doc('{ origin: shop.example, file: zones/shop.zone }'));
    files.set('/cells/one/zones/shop.zone', ZONE);
    const loaded = await loadConfig(`${base}/cells/one/cell.yaml`, 2000);
    expect(seen).toContain('/cells/one/zones/shop.zone');
    expect(loaded.records).toHaveLength(4);
    expect(loaded.zones[0]?.soa.serial).toBe(42);
  });

  it('a zone file that is not there: URND_ERR_CONFIG_READ naming its URL and the status', async () => {
    files.set('/cells/two/cell.yaml', doc('{ origin: shop.example, file: ../shared/shop.zone }'));
    const e = await rejection(loadConfig(`${base}/cells/two/cell.yaml`, 2000));
    expect(e.code).toBe('URND_ERR_CONFIG_READ');
    expect(e.issues).toEqual([
      { path: 'zones[0].file', message: `cannot fetch ${base}/cells/shared/shop.zone: HTTP 404` },
    ]);
  });

  it('a bad zone file names its URL and line', async () => {
    files.set('/cells/three/cell.yaml', doc('{ origin: shop.example, file: shop.zone }'));
    files.set('/cells/three/shop.zone', 'www A 127.0.0.1\n$INCLUDE more.zone\n');
    const e = await rejection(loadConfig(`${base}/cells/three/cell.yaml`, 2000));
    expect(e.message).toBe(
      `config rejected: zones[0].file: ${base}/cells/three/shop.zone:2: $INCLUDE is not supported: write the records into this file`,
    );
  });
});
