import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeSnapshot,
  encodeSnapshot,
  FRAME_VERSION,
  HMAC_TRAILER_BYTES,
  CRC_TRAILER_BYTES,
  type FrameKind,
  type SnapshotFrame,
} from '../src/snapshot/frame.js';
import { crc32c } from '../src/snapshot/crc32c.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { ObservationReceiver, SnapshotReceiver } from '../src/snapshot/receiver.js';
import { StatusTable } from '../src/table/status-table.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { Result, Status } from '../src/table/layout.js';

const KEY = new Uint8Array(Buffer.from('a shared key for the cell, 32 b!'));

function statusFrame(capacity: number, fill: number, over: Partial<SnapshotFrame> = {}): SnapshotFrame {
  return {
    version: FRAME_VERSION,
    cell: 'shop',
    kind: 'status',
    epoch: 7,
    sequence: 1,
    generatedAtMs: 1_700_000_000_000,
    capacity,
    configVersion: 'cfg-3f9a',
    payload: new Uint8Array(capacity).fill(fill),
    ...over,
  };
}

function expectSameFrame(got: SnapshotFrame, want: SnapshotFrame): void {
  expect(got.version).toBe(want.version);
  expect(got.cell).toBe(want.cell);
  expect(got.kind).toBe(want.kind);
  expect(got.vantage).toBe(want.vantage);
  expect(got.epoch).toBe(want.epoch);
  expect(got.sequence).toBe(want.sequence);
  expect(got.generatedAtMs).toBe(want.generatedAtMs);
  expect(got.capacity).toBe(want.capacity);
  expect(got.configVersion).toBe(want.configVersion);
  expect(got.payload.length).toBe(want.payload.length);
  expect(
    Buffer.from(got.payload.buffer, got.payload.byteOffset, got.payload.length).equals(
      Buffer.from(want.payload.buffer, want.payload.byteOffset, want.payload.length),
    ),
  ).toBe(true);
}

describe('snapshot frame: decode(encode(f)) is f, and re-encodes byte for byte', () => {
  it('status frame, CRC32C and keyed', () => {
    const payload = new Uint8Array(64);
    for (let i = 0; i < 64; i++) payload[i] = i % 3;
    const f = statusFrame(64, 0, { payload, sequence: 123_456_789, epoch: 0xffffffff });
    for (const key of [undefined, KEY]) {
      const bytes = encodeSnapshot(f, key);
      const d = decodeSnapshot(bytes, { cell: 'shop', capacity: 64, kind: 'status' }, key);
      expectSameFrame(d, f);
      expect(encodeSnapshot(d, key).equals(bytes)).toBe(true);
    }
  });

  it('observation frame', () => {
    const words = new Int32Array(64);
    for (let i = 0; i < 64; i++) words[i] = (i * 2654435761) | 0;
    const f: SnapshotFrame = {
      ...statusFrame(64, 0),
      kind: 'observations',
      vantage: 5,
      payload: new Uint8Array(words.buffer),
    };
    const bytes = encodeSnapshot(f);
    const d = decodeSnapshot(bytes, { cell: 'shop', capacity: 64, kind: 'observations' });
    expectSameFrame(d, f);
    expect(encodeSnapshot(d).equals(bytes)).toBe(true);
  });

  it('the decoded payload is a view into the frame, not a copy', () => {
    const bytes = encodeSnapshot(statusFrame(256, Status.HEALTHY));
    const d = decodeSnapshot(bytes, { cell: 'shop', capacity: 256 });
    expect(d.payload.buffer).toBe(bytes.buffer);
  });

  it('random payloads, strings, sequences and times (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom<FrameKind>('status', 'observations'),
        fc.integer({ min: 0, max: 63 }),
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 300 }),
        fc.nat({ max: 0xffffffff }),
        fc.maxSafeNat(),
        fc.maxSafeNat(),
        fc.boolean(),
        fc.infiniteStream(fc.integer({ min: 0, max: 255 })),
        (capacity, kind, vantage, cell, configVersion, epoch, sequence, generatedAtMs, keyed, byteStream) => {
          const n = kind === 'status' ? capacity : 4 * capacity;
          const it = byteStream[Symbol.iterator]();
          const payload = new Uint8Array(n);
          for (let i = 0; i < n; i++) payload[i] = it.next().value as number;
          const f: SnapshotFrame = {
            version: 1,
            cell,
            kind,
            epoch,
            sequence,
            generatedAtMs,
            capacity,
            configVersion,
            payload,
            ...(kind === 'observations' ? { vantage } : {}),
          };
          const key = keyed ? KEY : undefined;
          const bytes = encodeSnapshot(f, key);
          const d = decodeSnapshot(bytes, { cell, capacity, kind }, key);
          expectSameFrame(d, f);
          expect(encodeSnapshot(d, key).equals(bytes)).toBe(true);
          // The payload starts 8-aligned in the frame, whatever the strings before it.
          expect((d.payload.byteOffset - bytes.byteOffset) % 8).toBe(0);
          // Same size as a frame of the same shape whose payload is all zeros and whose numbers are small.
          const zero = encodeSnapshot(
            { ...f, payload: new Uint8Array(n), epoch: 0, sequence: 0, generatedAtMs: 0 },
            key,
          );
          expect(bytes.length).toBe(zero.length);
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
  });
});

describe('snapshot frame: the same size whatever the health state', () => {
  for (const capacity of [16_384, 1_048_576]) {
    it(`all-healthy and all-unhealthy frames have identical length at C = ${capacity.toLocaleString('en-US')}`, () => {
      const healthy = encodeSnapshot(statusFrame(capacity, Status.HEALTHY));
      const unhealthy = encodeSnapshot(statusFrame(capacity, Status.UNHEALTHY));
      const unknown = encodeSnapshot(statusFrame(capacity, Status.UNKNOWN));
      // and neither sequence, epoch nor time changes the size (msgpackr's shortest-int encoding is avoided)
      const later = encodeSnapshot(
        statusFrame(capacity, Status.UNHEALTHY, { sequence: 2 ** 40, epoch: 0xffffffff, generatedAtMs: 0 }),
      );
      expect(unhealthy.length).toBe(healthy.length);
      expect(unknown.length).toBe(healthy.length);
      expect(later.length).toBe(healthy.length);
      const keyedHealthy = encodeSnapshot(statusFrame(capacity, Status.HEALTHY), KEY);
      const keyedUnhealthy = encodeSnapshot(statusFrame(capacity, Status.UNHEALTHY), KEY);
      expect(keyedUnhealthy.length).toBe(keyedHealthy.length);
      expect(keyedHealthy.length - healthy.length).toBe(HMAC_TRAILER_BYTES - CRC_TRAILER_BYTES);
      // Header + body overhead is small and fixed for a given cell name and config version.
      expect(healthy.length - capacity).toBeLessThan(200);
    });
  }

  it('observation frames: identical length for all-success and all-failure rows at C = 16,384', () => {
    const obs = ObservationTable.create(16_384, 2);
    const enc = new SnapshotEncoder({ cell: 'shop', configVersion: 'v1', epoch: 1 });
    for (let s = 0; s < 16_384; s++) obs.record(0, s, Result.SUCCESS, 1234);
    for (let s = 0; s < 16_384; s++) obs.record(1, s, Result.FAILURE, 0xffffff);
    expect(enc.encodeObservations(obs, 0).length).toBe(enc.encodeObservations(obs, 1).length);
  });
});

describe('SnapshotEncoder', () => {
  it('numbers frames 1, 2, 3 … in one epoch, and a receiver applies each', () => {
    const src = StatusTable.create(128);
    const dst = StatusTable.create(128);
    const enc = new SnapshotEncoder({ cell: 'shop', configVersion: 'v1' });
    const rx = new SnapshotReceiver(dst, { cell: 'shop' });
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 128; s++) src.set(s, ((s + round) % 3) as Status);
      const bytes = enc.encodeStatus(src, 1_000 + round);
      const out = rx.receive(bytes, 5_000 + round);
      expect(out.applied).toBe(true);
      if (out.applied) {
        expect(out.frame.sequence).toBe(round + 1);
        expect(out.frame.epoch).toBe(enc.epoch);
      }
      expect(Buffer.from(dst.statuses).equals(Buffer.from(src.statuses))).toBe(true);
      expect(dst.updatedAt).toBe(1_000 + round);
    }
    expect(rx.counters.applied).toBe(3);
  });

  it('observation vectors land in the same vantage row of the aggregator (aligned and unaligned payloads)', () => {
    const local = ObservationTable.create(100, 1);
    for (let s = 0; s < 100; s++) local.record(0, s, s % 2 ? Result.SUCCESS : Result.FAILURE, s * 1000);
    const agg = ObservationTable.create(100, 3);
    // The remote vantage point reads its local row 0 and stamps its vantage number, 2, on the frame.
    const enc = new SnapshotEncoder({ cell: 'shop', configVersion: 'v1', vantage: 2 });
    const rx = new ObservationReceiver(agg, { cell: 'shop', acceptVantages: [1, 2] });
    const frame = enc.encodeObservations(local, 0);
    const decoded = decodeSnapshot(frame, { cell: 'shop', capacity: 100 });
    expect(decoded.vantage).toBe(2);
    // The same vector placed at every byte alignment: aligned payloads take the word path, others the byte path.
    const alignments = new Set<number>();
    for (let shift = 0; shift < 4; shift++) {
      agg.row(2).fill(0);
      const remote = encodeSnapshot({ ...decoded, vantage: 2, sequence: 10 + shift });
      const placed = Buffer.alloc(remote.length + shift);
      remote.copy(placed, shift);
      const bytes = placed.subarray(shift);
      alignments.add(decodeSnapshot(bytes, { cell: 'shop', capacity: 100 }).payload.byteOffset & 3);
      expect(rx.receive(bytes, shift).applied).toBe(true);
      expect(Array.from(agg.row(2))).toEqual(Array.from(local.row(0)));
    }
    expect(alignments.size).toBe(4);
    expect(rx.staleness(2, 3)).toMatchObject({ lastSequence: 13, epoch: enc.epoch, secondsSinceLastGood: 0 });
    expect(rx.staleness(1, 3).lastSequence).toBeNull();
    // vantage 0 belongs to the local checkers: not accepted from the wire
    const own = encodeSnapshot({ ...decodeSnapshot(frame, { cell: 'shop', capacity: 100 }), vantage: 0 });
    const rejected = rx.receive(own, 3);
    expect(rejected.applied).toBe(false);
    if (!rejected.applied) expect(rejected.error.code).toBe('URND_ERR_FRAME_VANTAGE');
    expect(Array.from(agg.row(0)).every((w) => w === 0)).toBe(true);
  });
});

describe('crc32c', () => {
  it('matches the published check values (RFC 3720 B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = new Uint8Array(32);
    for (let i = 0; i < 32; i++) inc[i] = i;
    expect(crc32c(inc)).toBe(0x46dd794e);
  });

  it('agrees with the bit-at-a-time definition at every offset and length, and continues across calls', () => {
    const naive = (b: Uint8Array, start: number, end: number): number => {
      let c = ~0;
      for (let i = start; i < end; i++) {
        c ^= b[i] as number;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const buf = new Uint8Array(300);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= buf.length; end += 7) {
        expect(crc32c(buf, start, end)).toBe(naive(buf, start, end));
        const mid = (start + end) >> 1;
        expect(crc32c(buf, mid, end, crc32c(buf, start, mid))).toBe(naive(buf, start, end));
      }
    }
  });
});
