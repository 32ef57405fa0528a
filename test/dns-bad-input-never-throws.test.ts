import { seededRandom } from '../src/resolve/random.js';
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { TYPE, addressesOf, buildQuery, decode, dnsCell, rcodeOf } from './support/dns.js';

/** Header of a query: id 0xABCD, RD, then QD/AN/NS/AR counts. */
function header(qd: number, an = 0, ns = 0, ar = 0, flagsHigh = 0x01): number[] {
  return [0xab, 0xcd, flagsHigh, 0, qd >> 8, qd & 0xff, an >> 8, an & 0xff, ns >> 8, ns & 0xff, ar >> 8, ar & 0xff];
}
const WWW = [3, ...Buffer.from('www'), 4, ...Buffer.from('demo'), 4, ...Buffer.from('test'), 0];
const A_IN = [0, 1, 0, 1];

function replyTo(bytes: number[] | Buffer, transport: 'udp' | 'tcp' = 'udp') {
  const cell = dnsCell();
  let reply: Buffer | null = null;
  expect(() => {
    reply = cell.responder.respond(Buffer.from(bytes), transport);
  }).not.toThrow();
  return { reply: reply as Buffer | null, counters: cell.responder.counters };
}

function rcode(bytes: number[] | Buffer): string {
  const { reply } = replyTo(bytes);
  const p = decode(reply);
  expect(p.id).toBe(0xabcd);
  return rcodeOf(p);
}

describe('malformed queries get FORMERR, NOTIMP or nothing, and never a throw', () => {
  it('every prefix of a valid query: nothing below 12 bytes, FORMERR until it is whole', () => {
    const full = buildQuery('www.demo.test', TYPE.A, {
      id: 0xabcd,
      edns: 1232,
      ednsOptions: [{ code: 10, data: new Uint8Array(8) }],
    });
    const cell = dnsCell();
    for (let n = 0; n <= full.length; n++) {
      const reply = cell.responder.respond(full.subarray(0, n), 'udp');
      if (n < 12) {
        expect(reply).toBeNull();
        continue;
      }
      const p = decode(reply);
      expect(p.id).toBe(0xabcd);
      expect(rcodeOf(p)).toBe(n === full.length ? 'NOERROR' : 'FORMERR');
    }
    expect(cell.responder.counters).toMatchObject({ ignored: 12, formerr: full.length - 12, noerror: 1, errors: 0 });
  });

  it('also through a Uint8Array that is not a Buffer, at an offset into a larger buffer', () => {
    const q = buildQuery('www.demo.test', TYPE.A, { id: 0xabcd, edns: 1232 });
    const big = new Uint8Array(q.length + 10);
    big.set(q, 5);
    const view = big.subarray(5, 5 + q.length);
    const cell = dnsCell();
    expect(addressesOf(decode(cell.responder.respond(view, 'udp')))).toHaveLength(1);
    expect(addressesOf(decode(cell.responder.respondSlow(view, 'udp')))).toHaveLength(1);
  });

  it('QDCOUNT other than 1, answer or authority records in a query, missing additionals: FORMERR', () => {
    expect(rcode([...header(0), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(0)])).toBe('FORMERR');
    expect(rcode([...header(2), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(2), ...WWW, ...A_IN, ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(65535), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1, 1), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1, 0, 1), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1, 0, 0, 1), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1, 0, 0, 65535), ...WWW, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1, 65535, 65535, 65535), ...WWW, ...A_IN])).toBe('FORMERR');
  });

  it('FORMERR is a bare header: ID, opcode and RD copied, QR set, every count 0', () => {
    const { reply } = replyTo([...header(2), ...WWW, ...A_IN]);
    expect(reply).toEqual(Buffer.from([0xab, 0xcd, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('compression pointers in the question (loops, past the end, into the header): FORMERR', () => {
    expect(rcode([...header(1), 0xc0, 0x0c, ...A_IN])).toBe('FORMERR'); // points at itself
    expect(rcode([...header(1), 1, 0x61, 0xc0, 0x0c, ...A_IN])).toBe('FORMERR'); // a → back to a → …
    expect(rcode([...header(1), 1, 0x61, 0xc0, 0x0e, ...A_IN])).toBe('FORMERR'); // points at itself after a label
    expect(rcode([...header(1), 0xc3, 0xff, ...A_IN])).toBe('FORMERR'); // past the end
    expect(rcode([...header(1), 0xc0, 0x02, ...A_IN])).toBe('FORMERR'); // into the header
    expect(rcode([...header(1), 3, ...Buffer.from('www'), 0xc0])).toBe('FORMERR'); // half a pointer
  });

  it('label types 0x40 and 0x80, labels over 63, names over 255 bytes: FORMERR', () => {
    expect(rcode([...header(1), 0x40, ...new Array(64).fill(0x61), 0, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1), 0x80, 0x61, 0, ...A_IN])).toBe('FORMERR');
    expect(rcode([...header(1), 0x7f, ...new Array(127).fill(0x61), 0, ...A_IN])).toBe('FORMERR');
    // 63-byte labels: 4 of them and "demo.test" is 4×64 + 11 = 267 bytes
    const label = [63, ...new Array(63).fill(0x61)];
    const long = [...label, ...label, ...label, ...label, 4, ...Buffer.from('demo'), 4, ...Buffer.from('test'), 0];
    expect(rcode([...header(1), ...long, ...A_IN])).toBe('FORMERR');
  });

  it('a name of exactly 255 bytes is read (NXDOMAIN inside our zone)', () => {
    const label = [63, ...new Array(63).fill(0x61)];
    // 3 × 64 + 52 + 11 = 255 with the root byte
    const name = [
      ...label,
      ...label,
      ...label,
      51,
      ...new Array(51).fill(0x62),
      4,
      ...Buffer.from('demo'),
      4,
      ...Buffer.from('test'),
      0,
    ];
    expect(name.length).toBe(255);
    expect(rcode([...header(1), ...name, ...A_IN])).toBe('NXDOMAIN');
    expect(rcode([...header(1), 1, 0x63, ...name.slice(0), ...A_IN])).toBe('FORMERR'); // 257
  });

  it('a response sent to us (QR=1) gets no reply and is counted as ignored', () => {
    const { reply, counters } = replyTo([...header(1, 0, 0, 0, 0x81), ...WWW, ...A_IN]);
    expect(reply).toBeNull();
    expect(counters).toMatchObject({ queries: 1, ignored: 1, fastPath: 0, slowPath: 0 });
  });

  it('opcodes other than QUERY get NOTIMP with the opcode copied', () => {
    for (let opcode = 1; opcode < 16; opcode++) {
      const { reply, counters } = replyTo([...header(1, 0, 0, 0, (opcode << 3) | 0x01), ...WWW, ...A_IN]);
      const p = decode(reply);
      expect(rcodeOf(p)).toBe('NOTIMP');
      expect(p.id).toBe(0xabcd);
      expect((((reply as Buffer)[2] as number) >> 3) & 0x0f).toBe(opcode);
      expect(counters.notimp).toBe(1);
    }
  });

  it('a caller passing no message at all gets null, counted as an error, not a throw', () => {
    const cell = dnsCell();
    expect(cell.responder.respond(null as unknown as Uint8Array, 'udp')).toBeNull();
    expect(cell.responder.respondSlow(undefined as unknown as Uint8Array, 'tcp')).toBeNull();
    expect(cell.responder.counters).toMatchObject({ queries: 2, ignored: 2, errors: 2 });
  });
});

describe('fuzz: 100,000 random and mutated messages', () => {
  it('never throws; every reply decodes, is a response and carries the query ID; valid queries still answer right afterwards', () => {
    const cell = dnsCell();
    const r = seededRandom(0x5eed);
    const int = (n: number) => Math.floor(r() * n);
    const seeds = [
      buildQuery('www.demo.test', TYPE.A),
      buildQuery('WwW.DeMo.TeSt', TYPE.A, { edns: 1232 }),
      buildQuery('big.demo.test', TYPE.AAAA, { edns: 4096, ednsOptions: [{ code: 10, data: new Uint8Array(8) }] }),
      buildQuery('v6.demo.test', TYPE.AAAA, {
        edns: 512,
        ednsOptions: [{ code: 8, data: Uint8Array.from([0, 1, 24, 0, 10, 0, 0]) }],
      }),
      buildQuery('nope.demo.test', TYPE.A),
      buildQuery('demo.test', TYPE.SOA),
      buildQuery('other.test', TYPE.NS, { edns: 1232 }),
      buildQuery('example.com', TYPE.ANY),
    ];
    const kinds = { random: 0, mutated: 0 };
    let replies = 0;
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      let msg: Buffer;
      if (r() < 0.2) {
        kinds.random++;
        msg = Buffer.alloc(int(r() < 0.5 ? 40 : 700));
        for (let k = 0; k < msg.length; k++) msg[k] = int(256);
        // often make it look like a query so it gets past the first checks
        if (msg.length >= 12 && r() < 0.5) {
          msg[2] = (msg[2] as number) & 0x01;
          msg[4] = 0;
          msg[5] = 1;
        }
      } else {
        kinds.mutated++;
        msg = Buffer.from(seeds[int(seeds.length)] as Buffer);
        const steps = 1 + int(3);
        for (let s = 0; s < steps; s++) {
          switch (int(6)) {
            case 0: // bit flips
              for (let f = 1 + int(4); f > 0 && msg.length > 0; f--) {
                const at = int(msg.length);
                msg[at] = (msg[at] as number) ^ (1 << int(8));
              }
              break;
            case 1: // truncation
              msg = msg.subarray(0, int(msg.length + 1));
              break;
            case 2: {
              // byte insertion
              const at = int(msg.length + 1);
              const extra = Buffer.alloc(1 + int(6));
              for (let k = 0; k < extra.length; k++) extra[k] = int(256);
              msg = Buffer.concat([msg.subarray(0, at), extra, msg.subarray(at)]);
              break;
            }
            case 3: {
              // byte deletion
              const at = int(msg.length + 1);
              msg = Buffer.concat([msg.subarray(0, at), msg.subarray(at + 1 + int(3))]);
              break;
            }
            case 4: // a count set to something odd
              if (msg.length >= 12) {
                const at = 4 + 2 * int(4);
                msg[at] = int(2) === 0 ? 0 : 0xff;
                msg[at + 1] = int(4);
              }
              break;
            default: // a pointer or a length byte planted in the name
              if (msg.length > 14)
                msg[12 + int(Math.min(20, msg.length - 12))] = [0xc0, 0x40, 0x80, 63, 0][int(5)] as number;
          }
        }
      }
      const transport = r() < 0.8 ? 'udp' : 'tcp';
      let reply: Buffer | null = null;
      try {
        reply = cell.responder.respond(msg, transport);
      } catch (err) {
        throw new Error(`respond threw on ${msg.toString('hex')}: ${String(err)}`);
      }
      if (reply === null) {
        // Only a message without a full header, or a response, goes unanswered.
        expect(msg.length < 12 || ((msg[2] as number) & 0x80) !== 0, msg.toString('hex')).toBe(true);
        continue;
      }
      replies++;
      let p: dnsPacket.DecodedPacket;
      try {
        p = dnsPacket.decode(reply);
      } catch (err) {
        throw new Error(`reply to ${msg.toString('hex')} does not decode: ${reply.toString('hex')} (${String(err)})`);
      }
      if (p.id !== msg.readUInt16BE(0) || !p.flag_qr || (transport === 'udp' && reply.length > 1232)) {
        throw new Error(`bad reply to ${msg.toString('hex')}: ${reply.toString('hex')}`);
      }
    }
    const c = cell.responder.counters;
    expect(c.queries).toBe(N);
    expect(c.errors).toBe(0);
    expect(c.fastPath + c.slowPath + c.ignored).toBe(N);
    expect(c.fastPath + c.slowPath).toBe(replies);
    expect(c.noerror + c.nodata + c.nxdomain + c.refused + c.formerr + c.notimp + c.badvers).toBe(replies);
    // The mix reached every branch worth reaching.
    for (const key of [
      'fastPath',
      'slowPath',
      'ignored',
      'noerror',
      'nxdomain',
      'refused',
      'formerr',
      'notimp',
      'badvers',
      'truncated',
    ] as const) {
      expect(c[key], key).toBeGreaterThan(0);
    }
    expect(kinds.random + kinds.mutated).toBe(N);

    // And the responder still answers properly.
    const p = decode(cell.responder.respond(buildQuery('StAtIc.demo.test', TYPE.A, { id: 77, edns: 1232 }), 'udp'));
    expect(p.id).toBe(77);
    expect(rcodeOf(p)).toBe('NOERROR');
    expect(addressesOf(p).sort()).toEqual(['192.0.2.30', '192.0.2.31']);
    expect(p.questions?.[0]?.name).toBe('StAtIc.demo.test');
  });
});
