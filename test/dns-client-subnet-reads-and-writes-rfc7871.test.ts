import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientSubnetRead,
  ClientSubnetState,
  clientSubnetOptionLength,
  OPTION_CLIENT_SUBNET,
  readClientSubnet,
  writeClientSubnet,
} from '../src/dns/client-subnet.js';
import { hasDig } from './support/answer-watch.js';
import { AddressFamily, compileCidrTable, formatAddress, CIDR_MATCH_LENGTH } from '../src/resolve/cidr-table.js';

/** An ECS option's bytes: code, length, then the data given. */
function option(family: number, source: number, scope: number, address: number[]): Uint8Array {
  const data = [0, family, source, scope, ...address];
  return Uint8Array.from([0, OPTION_CLIENT_SUBNET, data.length >> 8, data.length & 0xff, ...data]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Where a one-question query's OPT RR keeps its RDATA (the OPT is the last record). */
function optRdata(msg: Uint8Array): { offset: number; length: number } {
  let p = 12;
  while (msg[p] !== 0) p += (msg[p] as number) + 1;
  p += 1 + 4; // root byte, QTYPE, QCLASS
  expect(msg[p]).toBe(0); // OPT owner: root
  expect((msg[p + 1]! << 8) | msg[p + 2]!).toBe(41);
  const length = (msg[p + 9]! << 8) | msg[p + 10]!;
  return { offset: p + 11, length };
}

describe('EDNS Client Subnet option (RFC 7871)', () => {
  it('reads every valid family and source length, and writes it back with the scope', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(AddressFamily.IPv4, AddressFamily.IPv6),
        fc.nat(128),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(128),
        fc.uint8Array({ maxLength: 12 }),
        (family, rawSource, raw, scope, cookie) => {
          const source = family === AddressFamily.IPv4 ? rawSource % 33 : rawSource;
          const bytes = (source + 7) >> 3;
          const address = Array.from(raw.subarray(0, bytes));
          if (bytes > 0) address[bytes - 1] = address[bytes - 1]! & ((0xff << (8 * bytes - source)) & 0xff);
          // Another option before it (a cookie, say) is stepped over.
          const other = Uint8Array.from([0, 10, 0, cookie.length, ...cookie]);
          const ecs = option(family, source, 0, address);
          const rdata = concat(other, ecs);
          const state = new ClientSubnetState();
          expect(readClientSubnet(rdata, 0, rdata.length, state)).toBe(ClientSubnetRead.PRESENT);
          expect(state).toMatchObject({ present: true, family, sourcePrefix: source, addressLength: bytes });
          expect(Array.from(state.address.subarray(0, bytes))).toEqual(address);
          expect(state.address.subarray(bytes).every((b) => b === 0)).toBe(true);

          const reply = new Uint8Array(64);
          const end = writeClientSubnet(reply, 3, state, scope);
          expect(end - 3).toBe(clientSubnetOptionLength(state));
          const want = option(family, source, scope, address);
          expect(Array.from(reply.subarray(3, end))).toEqual(Array.from(want));
        },
      ),
      { numRuns: 500, seed: 7871 },
    );
  });

  it('reports ABSENT without the option and writes nothing into the reply', () => {
    const state = new ClientSubnetState();
    const cookie = Uint8Array.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(readClientSubnet(cookie, 0, cookie.length, state)).toBe(ClientSubnetRead.ABSENT);
    expect(readClientSubnet(new Uint8Array(0), 0, 0, state)).toBe(ClientSubnetRead.ABSENT);
    expect(state.present).toBe(false);
    expect(clientSubnetOptionLength(state)).toBe(0);
    expect(writeClientSubnet(new Uint8Array(8), 5, state, 24)).toBe(5);
  });

  it.each([
    ['an unknown FAMILY', option(3, 8, 0, [10]), ClientSubnetRead.UNKNOWN_FAMILY],
    ['FAMILY 0', option(0, 0, 0, []), ClientSubnetRead.UNKNOWN_FAMILY],
    ['an IPv4 SOURCE over 32', option(1, 33, 0, [10, 0, 0, 0, 0]), ClientSubnetRead.SOURCE_TOO_LONG],
    ['an IPv6 SOURCE over 128', option(2, 129, 0, new Array(17).fill(0)), ClientSubnetRead.SOURCE_TOO_LONG],
    ['a SCOPE that is not 0', option(1, 24, 24, [192, 0, 2]), ClientSubnetRead.SCOPE_NOT_ZERO],
    ['too few ADDRESS bytes', option(1, 24, 0, [192, 0]), ClientSubnetRead.ADDRESS_LENGTH],
    [
      'too many ADDRESS bytes (a full address with a /24)',
      option(1, 24, 0, [192, 0, 2, 0]),
      ClientSubnetRead.ADDRESS_LENGTH,
    ],
    ['an ADDRESS with SOURCE 0', option(2, 0, 0, [0]), ClientSubnetRead.ADDRESS_LENGTH],
    ['a bit set past SOURCE', option(1, 20, 0, [192, 0, 0x21]), ClientSubnetRead.BITS_PAST_SOURCE],
    [
      'the last bit past an IPv6 /127',
      option(2, 127, 0, [...new Array(15).fill(0), 1]),
      ClientSubnetRead.BITS_PAST_SOURCE,
    ],
    ['OPTION-LENGTH below 4', Uint8Array.from([0, 8, 0, 3, 0, 1, 0]), ClientSubnetRead.TOO_SHORT],
    ['two ECS options', concat(option(1, 8, 0, [10]), option(1, 8, 0, [11])), ClientSubnetRead.DUPLICATE],
    [
      'an option running past the RDATA',
      Uint8Array.from([0, 8, 0, 9, 0, 1, 24, 0, 192, 0, 2]),
      ClientSubnetRead.OPTIONS_MALFORMED,
    ],
    ['a partial option header', Uint8Array.from([0, 8, 0]), ClientSubnetRead.OPTIONS_MALFORMED],
  ])('is FORMERR for %s', (_what, rdata, why) => {
    const state = new ClientSubnetState();
    const read = readClientSubnet(rdata, 0, rdata.length, state);
    expect(read).toBe(why);
    expect(read).toBeLessThan(0);
    expect(state.present).toBe(false);
  });

  it('accepts SOURCE 0 (RFC 7871 §7.5: never refused for giving no bits); it matches no block', () => {
    const state = new ClientSubnetState();
    const rdata = option(1, 0, 0, []);
    expect(readClientSubnet(rdata, 0, rdata.length, state)).toBe(ClientSubnetRead.PRESENT);
    const table = compileCidrTable([{ cidrs: ['0.0.0.0/1', '128.0.0.0/1'] }]);
    const out = new Int32Array(CIDR_MATCH_LENGTH);
    expect(table.match(state.family, state.address, 0, state.sourcePrefix, out)).toBe(-1);
  });

  it("reads a query dns-packet encoded, and dns-packet reads the reply's option as written", () => {
    const query = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ type: 'A', name: 'www.shop.example' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          options: [
            { code: 'COOKIE', data: Buffer.from('0123456789abcdef', 'hex') },
            {
              code: 'CLIENT_SUBNET',
              family: 2,
              sourcePrefixLength: 56,
              scopePrefixLength: 0,
              ip: '2001:db8:aa:bb00::',
            },
          ],
        },
      ],
    } as unknown as dnsPacket.Packet);
    const { offset, length } = optRdata(query);
    const state = new ClientSubnetState();
    expect(readClientSubnet(query, offset, length, state)).toBe(ClientSubnetRead.PRESENT);
    expect(state).toMatchObject({ family: AddressFamily.IPv6, sourcePrefix: 56, addressLength: 7 });
    expect(formatAddress(AddressFamily.IPv6, state.address)).toBe('2001:db8:aa:bb00::');

    // Write our option with scope 48 over the query's (same length) and let dns-packet decode it.
    const reply = Buffer.from(query);
    const ecsAt = offset + 4 + 8; // past the cookie option
    expect(writeClientSubnet(reply, ecsAt, state, 48)).toBe(offset + length);
    const decoded = dnsPacket.decode(reply);
    const opt = decoded.additionals?.[0] as unknown as { options: Record<string, unknown>[] };
    expect(opt.options[1]).toMatchObject({
      code: 8,
      family: 2,
      sourcePrefixLength: 56,
      scopePrefixLength: 48,
      ip: '2001:db8:aa:bb00::',
    });
  });

  // Skipped, visibly, where dig is not installed (CI installs bind9-dnsutils).
  it.skipIf(!hasDig)('reads the option `dig +subnet=` sends (the bytes of a real dig query)', async () => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const { port } = socket.address();
    const dig = spawn(
      'dig',
      ['@127.0.0.1', '-p', String(port), 'www.shop.example', 'A', '+subnet=198.51.100.77/20', '+tries=1', '+time=5'],
      {
        stdio: 'ignore',
      },
    );
    try {
      // dig's query, or a clear failure if dig ends without sending one.
      const exited = once(dig, 'exit').then(() => {
        throw new Error('dig exited without sending a query');
      });
      exited.catch(() => undefined); // killed below once the query is in: not an error then
      const [message] = (await Promise.race([once(socket, 'message'), exited])) as [Buffer];
      const { offset, length } = optRdata(message);
      const state = new ClientSubnetState();
      expect(readClientSubnet(message, offset, length, state)).toBe(ClientSubnetRead.PRESENT);
      // dig masks the address to the source length: 198.51.100.77/20 → 198.51.96.0.
      expect(state).toMatchObject({ family: AddressFamily.IPv4, sourcePrefix: 20, addressLength: 3 });
      expect(formatAddress(AddressFamily.IPv4, state.address)).toBe('198.51.96.0');
    } finally {
      dig.kill();
      socket.close();
    }
  });
});
