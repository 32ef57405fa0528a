import { describe, expect, it } from 'vitest';
import {
  AddressFamily,
  CidrTableError,
  compileCidrTable,
  formatAddress,
  parseAddressInto,
} from '../src/resolve/cidr-table.js';

function rejection(cidrs: unknown[]): CidrTableError {
  try {
    compileCidrTable([{ cidrs: ['198.51.100.0/24'] }, { cidrs: cidrs as string[] }]);
  } catch (e) {
    if (e instanceof CidrTableError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(cidrs)}`);
}

describe('compileCidrTable rejects bad blocks in one line naming the value', () => {
  it.each([
    ['10.0.0.1/8', 'has host bits set: the /8 network is 10.0.0.0/8'],
    ['2001:db8:0:1234::/48', 'has host bits set: the /48 network is 2001:db8::/48'],
    ['10.0.0.0', 'has no prefix length'],
    ['10.0.0/8', 'is not a CIDR block: "10.0.0" is not an IP address'],
    ['10.0.0.256/24', 'is not an IP address'],
    ['010.0.0.0/8', 'is not an IP address'],
    ['2001:db8::1::/32', 'is not an IP address'],
    ['fe80::1%eth0/64', 'is not an IP address'],
    ['10.0.0.0/x', 'has a bad prefix length "x"'],
    ['10.0.0.0/08', 'has a bad prefix length "08"'],
    ['0.0.0.0/0', 'is /0: every client gets the default answer'],
    ['10.0.0.0/25', 'is longer than /24, the longest IPv4 block'],
    ['2001:db8::/64', 'is longer than /48, the longest IPv6 block'],
    ['198.51.100.0/24', 'is also in collection 0 ([0].cidrs[0])'],
  ])('%s', (cidr, reason) => {
    const e = rejection(['192.0.2.0/24', cidr]);
    expect(e.code).toBe('URND_ERR_ARGUMENT');
    expect(e.path).toBe('[1].cidrs[1]');
    expect(e.message).toContain(`[1].cidrs[1]: "${cidr}" `);
    expect(e.message).toContain(reason);
    expect(e.message).not.toContain('\n');
  });

  it('names a value that is not text', () => {
    const e = rejection([42]);
    expect(e.message).toBe('[1].cidrs[0]: 42 is not a CIDR block (text like "192.0.2.0/24")');
  });

  it('keeps a block repeated inside one collection once', () => {
    const table = compileCidrTable([{ cidrs: ['192.0.2.0/24', '192.0.2.0/24', '2001:DB8::/32'] }]);
    expect(table.blocks).toBe(2);
    expect(table.matchText('2001:db8::5')?.collection).toBe(0);
  });
});

describe('parseAddressInto reads what node:net and dig write', () => {
  it.each([
    ['192.0.2.1', AddressFamily.IPv4, '192.0.2.1'],
    ['::', AddressFamily.IPv6, '::'],
    ['::1', AddressFamily.IPv6, '::1'],
    ['1::', AddressFamily.IPv6, '1::'],
    ['2001:DB8:0:0:1:0:0:1', AddressFamily.IPv6, '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', AddressFamily.IPv6, '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', AddressFamily.IPv6, '1:2:3:4:5:6:7:8'],
  ])('%s', (text, family, formatted) => {
    const out = new Uint8Array(16);
    expect(parseAddressInto(text, 0, text.length, out)).toBe(family);
    expect(formatAddress(family, out)).toBe(formatted);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    ':1',
    '1:',
    '12345::',
    'g::',
    '::1.2.3',
    ' 1.2.3.4',
  ])('rejects %j', (text) => {
    expect(parseAddressInto(text, 0, text.length, new Uint8Array(16))).toBe(0);
  });
});
