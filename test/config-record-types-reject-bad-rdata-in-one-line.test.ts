import { describe, expect, it } from 'vitest';
import { compileConfig, validateConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { parseRdata } from '../src/config/rdata.js';

/**
 * Record sets of every type: RDATA text that compiles to the wire bytes a
 * zone file would give, and every mistake reported as one line naming the
 * record's path, the value and the reason.
 */
function doc(records: Record<string, unknown>[]): Record<string, unknown> {
  return {
    cell: { name: 'types', capacity: 16 },
    checks: [{ id: 'c', slot: 1, type: 'tcp', host: '127.0.0.1', port: 9 }],
    zones: [{ origin: 'shop.example' }],
    records,
  };
}

function problems(records: Record<string, unknown>[]): string[] {
  try {
    validateConfig(doc(records));
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const one = (name: string, type: string, value: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  answers: [{ value }],
  ...extra,
});

describe('RDATA text compiles to wire bytes', () => {
  it.each([
    ['MX', '10 mail', '000a046d61696c0473686f70076578616d706c6500', '10 mail.shop.example.'],
    ['MX', '0 .', '000000', '0 .'],
    ['SRV', '10 5 443 api.shop.example.', '000a000501bb03617069047368', '10 5 443 api.shop.example.'],
    ['CAA', '0 issue "letsencrypt.org"', '000569737375656c657473656e63727970742e6f7267', '0 issue "letsencrypt.org"'],
    ['TXT', 'v=spf1 -all', '0b763d73706631202d616c6c', '"v=spf1 -all"'],
    ['TXT', '"a" "b\\"c"', '016103622263', '"a" "b\\"c"'],
    ['CNAME', '@', '0473686f70076578616d706c6500', 'shop.example.'],
    ['PTR', 'Host.Example.', '04686f7374076578616d706c6500', 'host.example.'],
  ])('%s %s', (type, text, hexPrefix, canonical) => {
    const r = parseRdata(type as 'MX', text, 'shop.example');
    if (typeof r === 'string') throw new Error(r);
    expect(Buffer.from(r.bytes).toString('hex').startsWith(hexPrefix)).toBe(true);
    expect(r.text).toBe(canonical);
  });

  it('a long TXT string is cut into 255-byte character-strings', () => {
    const r = parseRdata('TXT', 'y'.repeat(600), null);
    if (typeof r === 'string') throw new Error(r);
    expect(r.bytes.length).toBe(600 + 3);
    expect([r.bytes[0], r.bytes[256], r.bytes[512]]).toEqual([255, 255, 90]);
  });

  it('the compiled plan holds each answer RDATA back to back, and its canonical text', () => {
    const plan = compileConfig(
      doc([
        one('shop.example', 'MX', '10 mail'),
        one('shop.example', 'TXT', 'hi'),
        one('a.shop.example', 'A', '192.0.2.1'),
      ]),
    );
    expect(plan.answerValue).toEqual(['10 mail.shop.example.', '"hi"', '192.0.2.1']);
    expect(Array.from(plan.answerRdataStart)).toEqual([0, 21, 24, 28]);
    expect(Array.from(plan.answerRdata.subarray(24))).toEqual([192, 0, 2, 1]);
  });
});

describe('bad records are one line: path, value, reason', () => {
  it.each([
    [
      one('shop.example', 'MX', 'mail'),
      'records[0].answers[0].value: "mail" is not valid MX RDATA: expected PREFERENCE EXCHANGE (e.g. 10 mail.shop.example.), got 1 field(s)',
    ],
    [
      one('shop.example', 'MX', '70000 mail'),
      'records[0].answers[0].value: "70000 mail" is not valid MX RDATA: preference 70000 is above 65535',
    ],
    [
      one('s.shop.example', 'SRV', '1 2 x h.'),
      'records[0].answers[0].value: "1 2 x h." is not valid SRV RDATA: port "x" is not a number',
    ],
    [
      one('shop.example', 'CAA', '0 is-sue "x"'),
      'records[0].answers[0].value: "0 is-sue \\"x\\"" is not valid CAA RDATA: tag "is-sue" is not 1 to 15 letters and digits',
    ],
    [
      one('t.shop.example', 'TXT', '"open'),
      'records[0].answers[0].value: "\\"open" is not valid TXT RDATA: a quoted string is not closed: "open',
    ],
    [
      one('t.shop.example', 'TXT', '"a" b'),
      'records[0].answers[0].value: "\\"a\\" b" is not valid TXT RDATA: "b" is outside quotes (quote every string, or none)',
    ],
    [
      one('c.shop.example', 'CNAME', 'bad name!'),
      'records[0].answers[0].value: "bad name!" is not valid CNAME RDATA: "bad name!" is not a valid DNS name',
    ],
    [
      one('t.shop.example', 'TXT', 'z'.repeat(5000)),
      expect.stringMatching(
        /^records\[0\]\.answers\[0\]\.value: "z+\.\.\." is not valid TXT RDATA: its RDATA is 5020 bytes, more than 4096$/,
      ),
    ],
    [
      one('shop.example', 'CNAME', 'x.example.'),
      'records[0].type: shop.example is a zone apex: it cannot hold a CNAME',
    ],
    [
      one('shop.example', 'NS', 'ns.example.'),
      'records[0].type: shop.example is a zone apex: its NS set is zones[].ns, not a record',
    ],
    [one('*.shop.example', 'NS', 'ns.example.'), 'records[0].name: "*.shop.example": a wildcard cannot delegate (NS)'],
    [
      one('a.*.shop.example', 'A', '192.0.2.1'),
      expect.stringMatching(/^records\[0\]\.name: "a\.\*\.shop\.example" is not a valid DNS name/),
    ],
  ])('%#', (record, expected) => {
    expect(problems([record])).toEqual([expected]);
  });

  it('a CNAME allows no other data at its name, whichever comes first', () => {
    expect(problems([one('w.shop.example', 'A', '192.0.2.1'), one('w.shop.example', 'CNAME', 'x.example.')])).toEqual([
      'records[1].type: w.shop.example has a A set (records[0]): a CNAME allows no other data at its name',
    ]);
    expect(problems([one('w.shop.example', 'CNAME', 'x.example.'), one('w.shop.example', 'TXT', 'hi')])).toEqual([
      'records[1].type: w.shop.example has a CNAME set (records[0]): a CNAME allows no other data at its name',
    ]);
  });

  it('policies as Route 53 allows them: no multivalue CNAME or NS, one answer in a simple CNAME', () => {
    const two = [{ value: 'a.example.' }, { value: 'b.example.' }];
    expect(problems([{ name: 'w.shop.example', type: 'CNAME', policy: 'multivalue', answers: two }])).toEqual([
      'records[0].policy: multivalue is not allowed for a CNAME record set (as in Route 53)',
    ]);
    expect(problems([{ name: 'w.shop.example', type: 'CNAME', answers: two }])).toEqual([
      'records[0].answers: a simple CNAME record set has one answer, not 2',
    ]);
    expect(
      problems([
        { name: 'd.shop.example', type: 'NS', policy: 'weighted', answers: [{ value: 'ns.example.', weight: 1 }] },
      ]),
    ).toEqual([
      'records[0].policy: weighted is not allowed for an NS record set: a delegation is served whole (simple)',
    ]);
    // Health checks on other types, under weighted and failover, are fine.
    expect(
      problems([
        {
          name: 'm.shop.example',
          type: 'MX',
          policy: 'failover',
          answers: [{ value: '1 a', role: 'primary', check: 'c' }],
        },
        { name: 't.shop.example', type: 'TXT', policy: 'multivalue', answers: [{ value: 'x', check: 'c' }] },
      ]),
    ).toEqual([]);
  });

  it('a simple set must fit one TCP reply; the same value twice is named', () => {
    const answers = Array.from({ length: 20 }, (_, i) => ({ value: `${i} ${'w'.repeat(4000)}` }));
    expect(problems([{ name: 't.shop.example', type: 'TXT', answers }])).toEqual([
      expect.stringMatching(/^records\[0\]\.answers: 8\d{4} bytes of answers do not fit one reply \(at most 60000\)$/),
    ]);
    expect(
      problems([
        { name: 'm.shop.example', type: 'MX', answers: [{ value: '10 mail' }, { value: '10 MAIL.shop.example.' }] },
      ]),
    ).toEqual(['records[0].answers[1].value: "10 MAIL.shop.example." is already used by answers[0]']);
  });
});
