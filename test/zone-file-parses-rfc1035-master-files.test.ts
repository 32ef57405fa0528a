import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, UrndError } from '../src/errors.js';
import { parseZoneFile, type ZoneFileOptions } from '../src/config/zone-file.js';

/**
 * An RFC 1035 §5 master file becomes record sets in the document's own
 * `records` shape, with names absolute, TTLs resolved and RDATA text
 * normalised; every construct of the format is read, and a bad file is
 * rejected with its name, the line and the reason.
 */
const OPTIONS: ZoneFileOptions = { origin: 'shop.example', source: 'shop.zone', defaultTtl: 60 };

const EVERYTHING = [
  '; a small company zone, every construct once', // 1
  '$TTL 1h', // 2
  '@  IN  SOA  ns1 hostmaster.shop.example. ( ; the apex', // 3
  '        2024010101 ; serial', // 4
  '        2h 15m 2w  ; refresh retry expire', // 5
  '        300 )      ; minimum', // 6
  '   NS  ns1', // 7  blank owner: the apex
  '   NS  ns2.shop.example.', // 8
  '   MX  10 mail', // 9
  '   MX  20 @', // 10
  '   TXT "v=spf1 -all"', // 11
  '   CAA 0 issue "letsencrypt.org"', // 12
  '   A   192.0.2.1', // 13
  'ns1 300 IN A 192.0.2.53', // 14  TTL then class
  'ns1 IN 300 AAAA 2001:db8::53', // 15 class then TTL
  'www  CNAME  lb.cdn.example.', // 16
  'mail A 192.0.2.25', // 17
  '     A 192.0.2.26', // 18 blank owner: mail
  '     A 192.0.2.25', // 19 the same record again: kept once
  'long TXT ( "first string"', // 20 parentheses spanning lines
  '           "with \\"quotes\\" and \\059 escapes" ; a comment inside', // 21
  '           unquoted-word )', // 22
  '', // 23
  '$ORIGIN _tcp.shop.example.', // 24
  '_sip 600 SRV 10 5 5060 sip.shop.example.', // 25
  '$ORIGIN 2.0.192.in-addr.arpa.', // 26 outside the zone: only names below shop.example may follow
  '$ORIGIN shop.example.', // 27
  'sub NS ns.sub', // 28 a delegation below the apex stays a record set
  'ptr 120 PTR host', // 29
  'lower 30 A 192.0.2.9', // 30
  '      90 A 192.0.2.10', // 31 one set, two TTLs: the lowest wins
  'WWW2.Shop.Example. a 192.0.2.11', // 32 case: names and types
  'nottl A 192.0.2.12', // 33 no TTL: $TTL
].join('\n');

function rejects(text: string, options: Partial<ZoneFileOptions> = {}): string {
  try {
    parseZoneFile(text, { ...OPTIONS, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('URND_ERR_CONFIG_PARSE');
    expect(e.issues).toHaveLength(1);
    expect(e.message).not.toContain('\n');
    return e.issues[0]!.message;
  }
  throw new Error('parsed, but should have been rejected');
}

describe('a zone file with every supported construct', () => {
  const content = parseZoneFile(EVERYTHING, OPTIONS);
  const set = (name: string, type: string) => content.records.find((r) => r.name === name && r.type === type);

  it('reads the apex SOA and NS apart, for the zone itself', () => {
    expect(content.soa).toEqual({
      mname: 'ns1.shop.example.',
      rname: 'hostmaster.shop.example.',
      serial: 2024010101,
      refresh: 7200,
      retry: 900,
      expire: 1_209_600,
      minimum: 300,
    });
    expect(content.soaLine).toBe(3);
    expect(content.ns).toEqual(['ns1.shop.example.', 'ns2.shop.example.']);
    expect(content.nsLines).toEqual([7, 8]);
    expect(content.records.some((r) => r.type === 'SOA' || (r.type === 'NS' && r.name === 'shop.example.'))).toBe(
      false,
    );
  });

  it('gives every record set in the records shape, RDATA normalised', () => {
    expect(content.records).toEqual([
      {
        name: 'shop.example.',
        type: 'MX',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: '10 mail.shop.example.' }, { value: '20 shop.example.' }],
      },
      { name: 'shop.example.', type: 'TXT', ttl: 3600, policy: 'simple', answers: [{ value: '"v=spf1 -all"' }] },
      {
        name: 'shop.example.',
        type: 'CAA',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: '0 issue "letsencrypt.org"' }],
      },
      { name: 'shop.example.', type: 'A', ttl: 3600, policy: 'simple', answers: [{ value: '192.0.2.1' }] },
      { name: 'ns1.shop.example.', type: 'A', ttl: 300, policy: 'simple', answers: [{ value: '192.0.2.53' }] },
      { name: 'ns1.shop.example.', type: 'AAAA', ttl: 300, policy: 'simple', answers: [{ value: '2001:db8::53' }] },
      {
        name: 'www.shop.example.',
        type: 'CNAME',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: 'lb.cdn.example.' }],
      },
      {
        name: 'mail.shop.example.',
        type: 'A',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: '192.0.2.25' }, { value: '192.0.2.26' }],
      },
      {
        name: 'long.shop.example.',
        type: 'TXT',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: '"first string" "with \\"quotes\\" and \\059 escapes" "unquoted-word"' }],
      },
      {
        name: '_sip._tcp.shop.example.',
        type: 'SRV',
        ttl: 600,
        policy: 'simple',
        answers: [{ value: '10 5 5060 sip.shop.example.' }],
      },
      {
        name: 'sub.shop.example.',
        type: 'NS',
        ttl: 3600,
        policy: 'simple',
        answers: [{ value: 'ns.sub.shop.example.' }],
      },
      {
        name: 'ptr.shop.example.',
        type: 'PTR',
        ttl: 120,
        policy: 'simple',
        answers: [{ value: 'host.shop.example.' }],
      },
      {
        name: 'lower.shop.example.',
        type: 'A',
        ttl: 30,
        policy: 'simple',
        answers: [{ value: '192.0.2.9' }, { value: '192.0.2.10' }],
      },
      { name: 'www2.shop.example.', type: 'A', ttl: 3600, policy: 'simple', answers: [{ value: '192.0.2.11' }] },
      { name: 'nottl.shop.example.', type: 'A', ttl: 3600, policy: 'simple', answers: [{ value: '192.0.2.12' }] },
    ]);
  });

  it('knows the line of every answer', () => {
    expect(content.lines[content.records.indexOf(set('mail.shop.example.', 'A')!)]).toEqual([17, 18]);
    expect(content.lines[content.records.indexOf(set('long.shop.example.', 'TXT')!)]).toEqual([20]);
    expect(content.lines[content.records.indexOf(set('nottl.shop.example.', 'A')!)]).toEqual([33]);
  });
});

describe('names and strings', () => {
  it('a wildcard owner, an escaped dot inside a label, and @ in RDATA', () => {
    const c = parseZoneFile('* A 192.0.2.1\na\\.b CNAME @\n', OPTIONS);
    expect(c.records.map((r) => [r.name, r.answers[0]?.value])).toEqual([
      ['*.shop.example.', '192.0.2.1'],
      ['a\\.b.shop.example.', 'shop.example.'],
    ]);
  });

  it('an unquoted string is quoted, a bare quote inside it escaped; a CAA value likewise', () => {
    const c = parseZoneFile('t TXT a"b c\\;d\nc CAA 128 issuewild letsencrypt.org', OPTIONS);
    expect(c.records.map((r) => r.answers[0]?.value)).toEqual(['"a\\"b" "c\\;d"', '128 issuewild "letsencrypt.org"']);
  });

  it('string lengths count UTF-8 bytes and escapes as one byte each', () => {
    expect(parseZoneFile(`t TXT "${'\\065'.repeat(255)}"`, OPTIONS).records).toHaveLength(1);
    expect(rejects(`t TXT "${'é'.repeat(128)}"`)).toMatch(
      /^shop\.zone:1: TXT character-string "é+\.\.\." is longer than 255 bytes/,
    );
  });
});

describe('TTLs', () => {
  it('without $TTL, a record without TTL takes the last TTL given, else the zone default', () => {
    const c = parseZoneFile('a A 192.0.2.1\nb 77 A 192.0.2.2\nc A 192.0.2.3', { ...OPTIONS, defaultTtl: 45 });
    expect(c.records.map((r) => r.ttl)).toEqual([45, 77, 77]);
  });

  it('$TTL applies to later records without TTL and a number of seconds or units is read', () => {
    const c = parseZoneFile('$TTL 1d2h\na A 192.0.2.1\nb 1w A 192.0.2.2\nc A 192.0.2.3', OPTIONS);
    expect(c.records.map((r) => r.ttl)).toEqual([93_600, 604_800, 93_600]);
  });

  it('an origin given with or without a trailing dot, and a root-relative $ORIGIN', () => {
    const c = parseZoneFile('$ORIGIN sub\nx A 192.0.2.1', { ...OPTIONS, origin: 'Shop.Example.' });
    expect(c.records[0]?.name).toBe('x.sub.shop.example.');
  });
});

describe('a bad file is rejected with file, line and reason', () => {
  it.each([
    ['$INCLUDE other.zone', /^shop\.zone:1: \$INCLUDE is not supported/],
    ['$GENERATE 1-9 x$ A 192.0.2.$', /^shop\.zone:1: unknown directive "\$GENERATE"/],
    ['a A 192.0.2.1\n\n  b CH A 192.0.2.1', /^shop\.zone:3: record type "b" is not supported/],
    ['a CH A 192.0.2.1', /^shop\.zone:1: class "CH" is not supported \(only IN\)/],
    ['a IN HINFO "x" "y"', /^shop\.zone:1: record type "HINFO" is not supported \(supported: A, AAAA, CNAME/],
    [
      ' A 192.0.2.1',
      /^shop\.zone:1: the line starts with a space, so it takes the previous owner name, but there is none/,
    ],
    ['a A 192.0.2.1\nb MX ten mail', /^shop\.zone:2: MX preference "ten" is not a whole number from 0 to 65535/],
    ['b MX 10', /^shop\.zone:1: MX RDATA is preference, exchange; the exchange is missing/],
    ['b CNAME x y', /^shop\.zone:1: CNAME has 1 RDATA fields; "y" is one too many/],
    ['b SRV 1 2 70000 t', /^shop\.zone:1: SRV port "70000" is not a whole number from 0 to 65535/],
    ['b CAA 0 is-sue "x"', /^shop\.zone:1: CAA tag "is-sue" is not a tag/],
    ['a TXT "open\n', /^shop\.zone:1: a quoted string is not closed on its line/],
    ['a TXT "x"y', /^shop\.zone:1: "y" follows a quoted string without a space/],
    ['a TXT ( "x"\n "y"\n', /^shop\.zone:1: the "\(" on this line is never closed/],
    ['a A 192.0.2.1 )', /^shop\.zone:1: a "\)" without a "\(" before it/],
    ['a TXT ( ( "x" ) )', /^shop\.zone:1: a "\(" inside the "\(" of line 1/],
    ['www.other.example. A 192.0.2.1', /^shop\.zone:1: "www\.other\.example\." is outside the zone "shop\.example\."/],
    ['$ORIGIN example.\nwww A 192.0.2.1', /^shop\.zone:2: "www\.example\." is outside the zone/],
    ['a..b A 192.0.2.1', /^shop\.zone:1: the owner name "a\.\.b" has an empty label/],
    [`${'x'.repeat(64)} A 192.0.2.1`, /^shop\.zone:1: the owner name "x+\.\.\." has a label longer than 63 bytes/],
    ['a 99999999999 A 192.0.2.1', /^shop\.zone:1: TTL "99999999999" is not a number of seconds/],
    ['$TTL soon', /^shop\.zone:1: \$TTL "soon" is not a number of seconds/],
    ['$ORIGIN', /^shop\.zone:1: \$ORIGIN needs a value/],
    [
      'sub SOA a b 1 2 3 4 5',
      /^shop\.zone:1: an SOA belongs at the zone's apex "shop\.example\.", not "sub\.shop\.example\."/,
    ],
    ['@ SOA a b 1 2 3 4 5\n@ SOA a b 2 2 3 4 5', /^shop\.zone:2: a second SOA \(the first is on line 1\)/],
    [`a TXT "${'y'.repeat(256)}"`, /^shop\.zone:1: TXT character-string "y+\.\.\." is longer than 255 bytes/],
    ['a TXT "\\256"', /^shop\.zone:1: the escape \\256 is above \\255/],
    ['a A "192.0.2.1"', /^shop\.zone:1: A address "192\.0\.2\.1" is a quoted string/],
    ['a TXT x\\', /^shop\.zone:1: a backslash at the end of a line/],
    ['a 300', /^shop\.zone:1: no record type after "a\.shop\.example\."/],
  ])('%j', (text, reason) => {
    expect(rejects(text)).toMatch(reason);
  });

  it('names the document path the file was given at', () => {
    try {
      parseZoneFile('a CH A 192.0.2.1', { ...OPTIONS, path: 'zones[2].file' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues[0]?.path).toBe('zones[2].file');
      expect((err as ConfigError).message).toMatch(/^config rejected: zones\[2\]\.file: shop\.zone:1: class "CH"/);
    }
  });

  it('counts lines across comments, parentheses and CRLF line ends', () => {
    const text = '; one\r\n@ SOA a b ( 1\r\n 2 3 4 5 )\r\n\r\nx A 192.0.2.1\r\ny MX 1\r\n';
    expect(rejects(text)).toMatch(/^shop\.zone:6: MX RDATA/);
  });
});

describe('arguments', () => {
  it('of the wrong kind are a UrndError naming the argument', () => {
    const untyped = parseZoneFile as unknown as (...args: unknown[]) => unknown;
    const code = (...args: unknown[]): string => {
      try {
        untyped(...args);
      } catch (err) {
        expect(err).toBeInstanceOf(UrndError);
        return `${(err as UrndError).code}: ${(err as Error).message}`;
      }
      return 'no error';
    };
    expect(code(5, OPTIONS)).toBe('URND_ERR_ARGUMENT: text: 5 is not a string');
    expect(code('', null)).toBe('URND_ERR_ARGUMENT: options: null is not an object');
    expect(code('', { ...OPTIONS, origin: 'a..b' })).toBe(
      'URND_ERR_ARGUMENT: options.origin: "a..b" is not a DNS name',
    );
    expect(code('', { ...OPTIONS, defaultTtl: -1 })).toMatch(
      /^URND_ERR_ARGUMENT: options\.defaultTtl: -1 is not a whole/,
    );
    expect(code('', { ...OPTIONS, source: undefined })).toBe(
      'URND_ERR_ARGUMENT: options.source: nothing is not a string',
    );
    expect(code('', OPTIONS)).toBe('no error');
  });
});

describe('any text', () => {
  it('parses or is rejected with one ConfigError line, never another error (fuzz, bounded)', () => {
    const pieces = [
      'a',
      'www',
      '@',
      '*',
      '.',
      ' ',
      '\t',
      '\n',
      '\r\n',
      '(',
      ')',
      '"',
      '\\',
      ';',
      '$ORIGIN',
      '$TTL',
      '$INCLUDE',
    ];
    const words = [
      'IN',
      'CH',
      'A',
      'AAAA',
      'MX',
      'TXT',
      'SOA',
      'NS',
      'CAA',
      'SRV',
      '1h',
      '10',
      '192.0.2.1',
      '\\065',
      'é',
    ];
    const text = fc.array(fc.constantFrom(...pieces, ...words), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => {
        try {
          const c = parseZoneFile(t, OPTIONS);
          for (const r of c.records) expect(r.name.endsWith('shop.example.')).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as ConfigError).message).toMatch(/^config rejected: shop\.zone:\d+: [^\n]+$/);
        }
      }),
      { numRuns: 3000, seed: 18 },
    );
  });
});
