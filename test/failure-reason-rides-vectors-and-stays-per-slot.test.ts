import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { compileConfig } from '../src/config/index.js';
import { Aggregator } from '../src/aggregate/aggregator.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { StatusTable } from '../src/table/status-table.js';
import { Result } from '../src/table/layout.js';
import { formatReason, packReason, reasonHttpStatus, reasonOf } from '../src/table/failure-reason.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { ObservationReceiver } from '../src/snapshot/receiver.js';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_VERSION,
  decodeSnapshot,
  encodeSnapshot,
  payloadBytes,
} from '../src/snapshot/frame.js';
import { crc32c } from '../src/snapshot/crc32c.js';
import { PROBE_FAILURES } from '../src/check/probe.js';

const C = 16;

function plan(ids: string[]) {
  return compileConfig({
    cell: { name: 'r', capacity: C },
    checks: ids.map((id, slot) => ({ id, slot, type: 'tcp', host: '127.0.0.1', port: 9, failureThreshold: 1 })),
    zones: [],
    records: [],
  });
}

describe('a failure reason word', () => {
  it('round-trips every reason, keeps an HTTP status only for status, and reads 0 as none', () => {
    for (const r of PROBE_FAILURES) {
      const w = packReason(r, 503);
      expect(reasonOf(w)).toBe(r);
      expect(reasonHttpStatus(w)).toBe(r === 'status' ? 503 : 0);
      expect(w).toBeLessThan(0x4000);
    }
    expect(packReason(null, 200)).toBe(0);
    expect(formatReason(0)).toBeNull();
    expect(formatReason(packReason('status', 500))).toBe('status 500');
    expect(formatReason(packReason('timeout', 0))).toBe('timeout');
    expect(reasonOf(0xf)).toBeNull(); // a code urnd never writes
  });
});

describe('observation vectors carry reasons (body version 2); version 1 is still read', () => {
  it('a checker row with reasons arrives whole at the aggregator row, the frame the same size in any state', () => {
    const sent = ObservationTable.create(C, 1);
    const enc = new SnapshotEncoder({ cell: 'r', configVersion: 'v', epoch: 1 });
    const healthy = enc.encodeObservations(sent, 0, 1000);
    sent.record(0, 3, Result.FAILURE, 900, packReason('status', 502));
    sent.record(0, 5, Result.FAILURE, 900, packReason('refused', 0));
    const failing = enc.encodeObservations(sent, 0, 2000);
    expect(failing.length).toBe(healthy.length);
    const frame = decodeSnapshot(failing, { cell: 'r', capacity: C, kind: 'observations' });
    expect(frame.version).toBe(2);
    expect(frame.payload.length).toBe(6 * C);

    const got = ObservationTable.create(C, 2);
    const rx = new ObservationReceiver(got, { cell: 'r' });
    expect(rx.receive(failing, 2000).applied).toBe(true);
    expect([...got.row(0)]).toEqual([...sent.row(0)]);
    expect([...got.reasonRow(0)]).toEqual([...sent.reasonRow(0)]);
    expect(formatReason(got.reason(0, 3))).toBe('status 502');
  });

  it('a version 1 vector (an older checker: words only) is applied with every reason "none"', () => {
    const got = ObservationTable.create(C, 1);
    got.reasons.fill(packReason('tls', 0)); // left over from a newer frame
    const words = new Int32Array(C);
    words[2] = ObservationTable.create(C).record(0, 2, Result.FAILURE, 10);
    const v1 = encodeSnapshot({
      version: 1,
      cell: 'r',
      kind: 'observations',
      vantage: 0,
      epoch: 7,
      sequence: 1,
      generatedAtMs: 1000,
      capacity: C,
      configVersion: 'v',
      payload: new Uint8Array(words.buffer),
    });
    expect(payloadBytes('observations', C, 1)).toBe(4 * C);
    const rx = new ObservationReceiver(got, { cell: 'r' });
    expect(rx.receive(v1, 1000).applied).toBe(true);
    expect(got.load(0, 2)).toBe(words[2]);
    expect([...got.reasonRow(0)]).toEqual(new Array(C).fill(0));
  });

  it('rejects a status frame at body version 2 and an observation frame whose payload does not fit its version', () => {
    const packr = new Packr({ useRecords: false });
    const body = (version: number, kind: string, bytes: number) =>
      packr.pack({
        version,
        cell: 'r',
        kind,
        ...(kind === 'observations' ? { vantage: 0 } : {}),
        epoch: BigInt(1),
        sequence: BigInt(1),
        generatedAtMs: BigInt(1),
        capacity: C,
        configVersion: 'v',
        payload: new Uint8Array(bytes),
      });
    const codeOf = (v: number, kind: string, bytes: number): string => {
      try {
        decodeSnapshot(craft(body(v, kind, bytes)), { cell: 'r', capacity: C });
        return 'accepted';
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(codeOf(2, 'status', C)).toBe('URND_ERR_FRAME_VERSION');
    expect(codeOf(2, 'observations', 4 * C)).toBe('URND_ERR_FRAME_MALFORMED');
    expect(codeOf(1, 'observations', 6 * C)).toBe('URND_ERR_FRAME_MALFORMED');
    expect(codeOf(2, 'observations', 6 * C)).toBe('accepted');
    expect(codeOf(3, 'observations', 6 * C)).toBe('URND_ERR_FRAME_VERSION');
  });
});

/** A whole frame (header, body, CRC32C) around any body: for bodies the encoder refuses to write. */
function craft(body: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + body.length + 4);
  out.writeUInt32BE(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out.writeUInt32BE(body.length, 8);
  out.set(body, FRAME_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out, 0, FRAME_HEADER_BYTES + body.length), FRAME_HEADER_BYTES + body.length);
  return out;
}

describe('the aggregator keeps each slot’s last failure reason', () => {
  it('takes the failing vantage’s reason, keeps it through recovery, and clears it when the slot changes owner', () => {
    const obs = ObservationTable.create(C, 2);
    const agg = new Aggregator(plan(['a', 'b']), obs, StatusTable.create(C));
    agg.tick(1);
    expect(agg.lastFailure(0)).toBe(0);
    // vantage 0 healthy, vantage 1 sees a 503
    obs.record(0, 0, Result.SUCCESS, 10, 0);
    obs.record(1, 0, Result.FAILURE, 10, packReason('status', 503));
    agg.tick(2);
    expect(formatReason(agg.lastFailure(0))).toBe('status 503');
    // both recover: the last failure's reason stays
    obs.record(1, 0, Result.SUCCESS, 10, 0);
    agg.tick(3);
    expect(formatReason(agg.lastFailure(0))).toBe('status 503');
    // a later failure replaces it
    obs.record(0, 0, Result.FAILURE, 10, packReason('timeout', 0));
    agg.tick(4);
    expect(formatReason(agg.lastFailure(0))).toBe('timeout');
    // a failure word with no reason (a version 1 vector) keeps the last one
    obs.record(0, 0, Result.FAILURE, 10, 0);
    agg.tick(5);
    expect(formatReason(agg.lastFailure(0))).toBe('timeout');
    expect(agg.lastFailure(1)).toBe(0);
    // slot 0 gets a new owner: its reason is gone
    agg.setPlan(plan(['a2', 'b']));
    expect(agg.lastFailure(0)).toBe(0);
  });
});
