import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import {
  decodeSnapshot,
  encodeSnapshot,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_VERSION,
  type DecodeExpectations,
  type SnapshotFrame,
} from '../src/snapshot/frame.js';
import { crc32c } from '../src/snapshot/crc32c.js';
import { SnapshotReceiver } from '../src/snapshot/receiver.js';
import { SnapshotError, type SnapshotErrorCode } from '../src/snapshot/snapshot-error.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';

const C = 64;
const KEY = new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef'));
const OTHER_KEY = new Uint8Array(Buffer.from('fedcba9876543210fedcba9876543210'));
const EXPECT: DecodeExpectations = { cell: 'edge', capacity: C, kind: 'status' };

function frame(over: Partial<SnapshotFrame> = {}): SnapshotFrame {
  const payload = new Uint8Array(C);
  for (let i = 0; i < C; i++) payload[i] = i % 3;
  return {
    version: FRAME_VERSION,
    cell: 'edge',
    kind: 'status',
    epoch: 42,
    sequence: 5,
    generatedAtMs: 1_700_000_000_000,
    capacity: C,
    configVersion: 'v7',
    payload,
    ...over,
  };
}

function codeOf(fn: () => unknown): SnapshotErrorCode | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(SnapshotError);
    return (err as SnapshotError).code;
  }
}

/** A frame with any body, framed and CRC'd correctly: for bodies the encoder would refuse to write. */
function craft(body: unknown, opts: { version?: number } = {}): Buffer {
  const packed = new Packr({ useRecords: false }).pack(body);
  const out = Buffer.alloc(FRAME_HEADER_BYTES + packed.length + 4);
  out.writeUInt32BE(FRAME_MAGIC, 0);
  out[4] = opts.version ?? FRAME_VERSION;
  out.writeUInt32BE(packed.length, 8);
  packed.copy(out, FRAME_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out, 0, FRAME_HEADER_BYTES + packed.length), FRAME_HEADER_BYTES + packed.length);
  return out;
}

function body(over: Record<string, unknown> = {}): Record<string, unknown> {
  const f = frame();
  return {
    version: 1,
    cell: f.cell,
    kind: f.kind,
    epoch: BigInt(f.epoch),
    sequence: BigInt(f.sequence),
    generatedAtMs: BigInt(f.generatedAtMs),
    capacity: C,
    configVersion: f.configVersion,
    payload: f.payload,
    ...over,
  };
}

describe('decodeSnapshot rejects every damaged frame with a typed error', () => {
  const good = encodeSnapshot(frame());
  const goodKeyed = encodeSnapshot(frame(), KEY);

  it('accepts the intact frames (control)', () => {
    expect(codeOf(() => decodeSnapshot(good, EXPECT))).toBe('accepted');
    expect(codeOf(() => decodeSnapshot(goodKeyed, EXPECT, KEY))).toBe('accepted');
    // a frame crafted with plain msgpackr (bin8 payload, no padding) decodes too: the body is plain msgpack
    expect(codeOf(() => decodeSnapshot(craft(body()), EXPECT))).toBe('accepted');
  });

  it('every truncation → URND_ERR_FRAME_TRUNCATED', () => {
    for (const bytes of [good, goodKeyed]) {
      const key = bytes === goodKeyed ? KEY : undefined;
      for (let n = 0; n < bytes.length; n++) {
        expect(
          codeOf(() => decodeSnapshot(bytes.subarray(0, n), EXPECT, key)),
          `prefix of ${n} bytes`,
        ).toBe('URND_ERR_FRAME_TRUNCATED');
      }
    }
  });

  it('every single-bit flip → CHECKSUM in body and trailer; a header error code in the header', () => {
    const headerCodes = new Set<string>([
      'URND_ERR_FRAME_MALFORMED',
      'URND_ERR_FRAME_VERSION',
      'URND_ERR_FRAME_AUTH',
      'URND_ERR_FRAME_TRUNCATED',
      'URND_ERR_FRAME_OVERSIZED',
    ]);
    const seen = new Map<string, number>();
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = Buffer.from(good);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      const code = codeOf(() => decodeSnapshot(bad, EXPECT));
      seen.set(code, (seen.get(code) ?? 0) + 1);
      if (bit >> 3 < FRAME_HEADER_BYTES) expect(headerCodes.has(code), `bit ${bit} (header): ${code}`).toBe(true);
      else expect(code, `bit ${bit}`).toBe('URND_ERR_FRAME_CHECKSUM');
    }
    expect(seen.get('accepted')).toBeUndefined();
    // the flag bit says "signed": an unkeyed receiver refuses it as AUTH
    expect(seen.get('URND_ERR_FRAME_AUTH')).toBe(1);
  });

  it('every single-bit flip of a keyed frame → AUTH in body and trailer', () => {
    for (let bit = FRAME_HEADER_BYTES * 8; bit < goodKeyed.length * 8; bit++) {
      const bad = Buffer.from(goodKeyed);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(
        codeOf(() => decodeSnapshot(bad, EXPECT, KEY)),
        `bit ${bit}`,
      ).toBe('URND_ERR_FRAME_AUTH');
    }
  });

  it('keys: wrong key, missing key, unexpected key → AUTH', () => {
    expect(codeOf(() => decodeSnapshot(goodKeyed, EXPECT, OTHER_KEY))).toBe('URND_ERR_FRAME_AUTH');
    expect(codeOf(() => decodeSnapshot(goodKeyed, EXPECT))).toBe('URND_ERR_FRAME_AUTH');
    expect(codeOf(() => decodeSnapshot(good, EXPECT, KEY))).toBe('URND_ERR_FRAME_AUTH');
  });

  it('expectations: wrong capacity, wrong cell, wrong kind, oversized', () => {
    expect(codeOf(() => decodeSnapshot(good, { ...EXPECT, capacity: C * 2 }))).toBe('URND_ERR_FRAME_CAPACITY');
    expect(codeOf(() => decodeSnapshot(good, { ...EXPECT, cell: 'other' }))).toBe('URND_ERR_FRAME_CELL');
    expect(codeOf(() => decodeSnapshot(good, { ...EXPECT, kind: 'observations' }))).toBe('URND_ERR_FRAME_KIND');
    expect(codeOf(() => decodeSnapshot(good, { ...EXPECT, maxBytes: good.length - 1 }))).toBe(
      'URND_ERR_FRAME_OVERSIZED',
    );
    // a header claiming a huge body is refused before anything is read
    const huge = Buffer.from(good);
    huge.writeUInt32BE(0x7fffffff, 8);
    expect(codeOf(() => decodeSnapshot(huge, EXPECT))).toBe('URND_ERR_FRAME_OVERSIZED');
    // bytes after the end of the frame
    expect(codeOf(() => decodeSnapshot(Buffer.concat([good, Buffer.from([0])]), EXPECT))).toBe(
      'URND_ERR_FRAME_MALFORMED',
    );
  });

  it('versions: header version and body version → VERSION', () => {
    expect(codeOf(() => decodeSnapshot(craft(body(), { version: 2 }), EXPECT))).toBe('URND_ERR_FRAME_VERSION');
    expect(codeOf(() => decodeSnapshot(craft(body({ version: 2 })), EXPECT))).toBe('URND_ERR_FRAME_VERSION');
  });

  it('intact checksum but not a frame body → MALFORMED', () => {
    const bodies: unknown[] = [
      [1, 2, 3],
      'a string',
      body({ payload: new Uint8Array(C - 1) }),
      body({ payload: 'not binary' }),
      body({ extra: 1 }),
      body({ sequence: -1 }),
      body({ epoch: 2 ** 32 }),
      body({ kind: 'nonsense' }),
      body({ vantage: 3 }), // a status frame has no vantage
      body({ configVersion: 7 }),
    ];
    for (const b of bodies)
      expect(
        codeOf(() => decodeSnapshot(craft(b), EXPECT)),
        JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 80),
      ).toBe('URND_ERR_FRAME_MALFORMED');
    // not msgpack at all: a reserved byte (0xc1)
    const raw = Buffer.from(good);
    raw[FRAME_HEADER_BYTES] = 0xc1;
    raw.writeUInt32BE(crc32c(raw, 0, raw.length - 4), raw.length - 4);
    expect(codeOf(() => decodeSnapshot(raw, EXPECT))).toBe('URND_ERR_FRAME_MALFORMED');
    // bad magic
    const magic = Buffer.from(good);
    magic[0] = 0;
    expect(codeOf(() => decodeSnapshot(magic, EXPECT))).toBe('URND_ERR_FRAME_MALFORMED');
  });
});

describe('SnapshotReceiver keeps its last good table and counts each rejection', () => {
  it('stale sequences, restarts (new epoch), and every kind of bad frame', () => {
    const table = StatusTable.create(C);
    const rx = new SnapshotReceiver(table, { cell: 'edge', epochGraceMs: 10_000 });
    const t0 = 1_000_000;
    expect(rx.receive(encodeSnapshot(frame()), t0).applied).toBe(true);
    const lastGood = Buffer.from(table.statuses);
    const seq = table.sequence;
    const unhealthy = (over: Partial<SnapshotFrame>) =>
      encodeSnapshot(frame({ payload: new Uint8Array(C).fill(Status.UNHEALTHY), ...over }));

    const bad: [string, Uint8Array, SnapshotErrorCode][] = [
      ['same sequence again', unhealthy({ sequence: 5 }), 'URND_ERR_FRAME_STALE'],
      ['older sequence', unhealthy({ sequence: 4 }), 'URND_ERR_FRAME_STALE'],
      [
        'other epoch, generated earlier (a late frame of a previous sender)',
        unhealthy({ epoch: 41, sequence: 900, generatedAtMs: 1_699_999_999_000 }),
        'URND_ERR_FRAME_STALE',
      ],
      ['truncated', unhealthy({ sequence: 6 }).subarray(0, 50), 'URND_ERR_FRAME_TRUNCATED'],
      ['bit flip', flip(unhealthy({ sequence: 6 }), 40), 'URND_ERR_FRAME_CHECKSUM'],
      ['keyed frame, no key here', encodeSnapshot(frame({ sequence: 6 }), KEY), 'URND_ERR_FRAME_AUTH'],
      [
        'wrong capacity',
        encodeSnapshot(frame({ sequence: 6, capacity: C * 2, payload: new Uint8Array(C * 2) })),
        'URND_ERR_FRAME_CAPACITY',
      ],
      ['wrong cell', unhealthy({ sequence: 6, cell: 'elsewhere' }), 'URND_ERR_FRAME_CELL'],
      [
        'wrong kind',
        encodeSnapshot(frame({ sequence: 6, kind: 'observations', vantage: 0, payload: new Uint8Array(4 * C) })),
        'URND_ERR_FRAME_KIND',
      ],
      ['oversized', Buffer.alloc(200_000), 'URND_ERR_FRAME_OVERSIZED'],
      ['version', craft(body({ version: 9, sequence: BigInt(6) })), 'URND_ERR_FRAME_VERSION'],
      ['malformed', craft(body({ sequence: BigInt(6), extra: true })), 'URND_ERR_FRAME_MALFORMED'],
    ];
    for (const [what, bytes, code] of bad) {
      const out = rx.receive(bytes, t0 + 100);
      expect(out.applied, what).toBe(false);
      if (!out.applied) expect(out.error.code, what).toBe(code);
      expect(Buffer.from(table.statuses).equals(lastGood), what).toBe(true);
      expect(table.sequence, what).toBe(seq);
      expect(rx.lastError?.code).toBe(code);
    }
    expect(rx.counters).toEqual({
      received: 1 + bad.length,
      applied: 1,
      stale: 3,
      truncated: 1,
      checksum: 1,
      auth: 1,
      capacity: 1,
      cell: 1,
      kind: 1,
      oversized: 1,
      version: 1,
      malformed: 1,
      vantage: 0,
    });
    // The capacity-rejected frame was intact and from the current epoch: it shows as lag.
    expect(rx.staleness(t0 + 100).sequenceLag).toBe(1);

    // The next good frame heals, and the lag is gone.
    expect(rx.receive(unhealthy({ sequence: 7 }), t0 + 200).applied).toBe(true);
    expect(table.counts()).toEqual([0, 0, C]);
    expect(rx.staleness(t0 + 200)).toMatchObject({
      lastSequence: 7,
      epoch: 42,
      sequenceLag: 0,
      secondsSinceLastGood: 0,
      ticksBehind: 0,
    });

    // A restarted sender: new epoch, sequence from 1, clock moved on → applied at once.
    expect(
      rx.receive(encodeSnapshot(frame({ epoch: 99, sequence: 1, generatedAtMs: 1_700_000_005_000 })), t0 + 300).applied,
    ).toBe(true);
    expect(rx.staleness(t0 + 300)).toMatchObject({ lastSequence: 1, epoch: 99 });
    // …and its sequence 1 again is stale.
    expect(
      rx.receive(encodeSnapshot(frame({ epoch: 99, sequence: 1, generatedAtMs: 1_700_000_006_000 })), t0 + 400).applied,
    ).toBe(false);

    // A restarted sender whose clock went back: refused until the table has been
    // without a good frame for epochGraceMs, then accepted.
    const backInTime = (s: number) =>
      encodeSnapshot(frame({ epoch: 100, sequence: s, generatedAtMs: 1_600_000_000_000 }));
    expect(rx.receive(backInTime(1), t0 + 1_000).applied).toBe(false);
    expect(rx.receive(backInTime(2), t0 + 300 + 10_000).applied).toBe(true);
    expect(rx.staleness(t0 + 300 + 10_000)).toMatchObject({ lastSequence: 2, epoch: 100 });
  });
});

function flip(b: Buffer, byte: number): Buffer {
  const c = Buffer.from(b);
  c[byte] = (c[byte] as number) ^ 0x10;
  return c;
}
