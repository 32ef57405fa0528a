/**
 * What to answer to a well-formed query for class IN: the rcode, the
 * records, and the reply bytes. Both paths end here once they have read the
 * question into a QueryState.
 *
 *   A / AAAA with a set      → NOERROR, AA, the addresses the resolver chose (set TTL)
 *   A / AAAA set answered 0  → NOERROR, AA, no answer, SOA in authority (fail closed)
 *   SOA / NS at a zone apex  → NOERROR, AA, the SOA / the NS RRset (zone TTL)
 *   ANY                      → RFC 8482 §4.1, one RRset: as A if the name has an
 *                              A set, else as AAAA, else the SOA at an apex
 *   AXFR / IXFR              → REFUSED (no zone transfers)
 *   other type, name exists  → NOERROR, AA, no answer, SOA in authority (NODATA)
 *   name absent in a zone    → NXDOMAIN, AA, SOA in authority
 *   name outside our zones   → REFUSED, no AA
 *
 * The authority SOA's TTL is min(SOA TTL, MINIMUM) (RFC 2308 §3).
 */
import { RecordType, type Plan } from '../config/plan.js';
import { zoneOf } from '../resolve/names.js';
import { ResolveCode, type Resolver } from '../resolve/resolver.js';
import { Outcome, beginReply, writeBytes, writeRecordHeader } from './reply.js';
import { QNAME_POINTER, QType, Rcode, RR_FIXED_LENGTH, type QueryState } from './wire.js';
import type { PlanRecords, ZoneRecords } from './zone-records.js';
import { findName } from './name-table.js';

/**
 * Answers the question in `s` (class IN, a valid name) from `resolver` and
 * `records` (built for `resolver.plan`). Sets `s.outcome` and `s.truncated`.
 */
export function answerQuery(s: QueryState, resolver: Resolver, records: PlanRecords, query: Uint8Array): Buffer {
  const plan = resolver.plan;
  // The plan's own string when the name exists (no allocation); a new one otherwise.
  const key =
    findName(records.names, s.keyBytes, s.keyLength, s.keyHash) ?? s.keyBytes.toString('latin1', 0, s.keyLength);
  const qtype = s.qtype;
  let type = -1;
  if (qtype === QType.A) type = RecordType.A;
  else if (qtype === QType.AAAA) type = RecordType.AAAA;
  else if (qtype === QType.ANY)
    type = plan.setByType[RecordType.A].has(key)
      ? RecordType.A
      : plan.setByType[RecordType.AAAA].has(key)
        ? RecordType.AAAA
        : -1;

  if (type >= 0) {
    const count = resolver.resolveInto(key, type as RecordType, s.indices);
    if (count > 0) return addresses(s, plan, records, query, type as RecordType, count);
    if (count === 0) return negative(s, query, Outcome.NODATA, records, plan.names.get(key) as number);
    if (count === ResolveCode.REFUSED) return refused(s, query);
    if (count === ResolveCode.NXDOMAIN) return negative(s, query, Outcome.NXDOMAIN, records, zoneOf(plan, key));
    // NODATA: another type lives here (and for ANY, no A/AAAA set): fall through to the apex check.
  }
  if (qtype === QType.AXFR || qtype === QType.IXFR) return refused(s, query);

  const zone = plan.names.get(key);
  if (zone === undefined) {
    const z = zoneOf(plan, key);
    return z < 0 ? refused(s, query) : negative(s, query, Outcome.NXDOMAIN, records, z);
  }
  const zr = records.zones[zone] as ZoneRecords;
  if (key === (plan.zones[zone] as { origin: string }).origin) {
    if (qtype === QType.SOA || qtype === QType.ANY) return apexSoa(s, query, zr);
    if (qtype === QType.NS) return apexNs(s, query, zr);
  }
  return negative(s, query, Outcome.NODATA, records, zone);
}

/** NOERROR with `count` address answers, indices in `s.indices`. */
function addresses(
  s: QueryState,
  plan: Plan,
  records: PlanRecords,
  query: Uint8Array,
  type: RecordType,
  count: number,
): Buffer {
  const indices = s.indices;
  const rdlength = type === RecordType.A ? 4 : 16;
  const rrType = type === RecordType.A ? QType.A : QType.AAAA;
  const rrLength = RR_FIXED_LENGTH + rdlength;
  const ttl = plan.setTtl[records.answerSet[indices[0] as number] as number] as number;
  const out = beginReply(s, query, Rcode.NOERROR, true, count, 0, count * rrLength);
  s.outcome = Outcome.NOERROR;
  if (s.truncated) return out;
  const address = plan.answerAddress;
  let o = s.end;
  for (let k = 0; k < count; k++) {
    o = writeRecordHeader(out, o, QNAME_POINTER, rrType, ttl, rdlength);
    const from = (indices[k] as number) * 16;
    for (let b = 0; b < rdlength; b++) out[o + b] = address[from + b] as number;
    o += rdlength;
  }
  return out;
}

/** NXDOMAIN or NODATA: no answer, the zone's SOA in authority. */
function negative(s: QueryState, query: Uint8Array, outcome: Outcome, records: PlanRecords, zone: number): Buffer {
  const zr = records.zones[zone] as ZoneRecords;
  const rcode = outcome === Outcome.NXDOMAIN ? Rcode.NXDOMAIN : Rcode.NOERROR;
  const out = beginReply(s, query, rcode, true, 0, 1, RR_FIXED_LENGTH + zr.soa.length);
  s.outcome = outcome;
  if (s.truncated) return out;
  // The owner is the zone apex: the question name's last `zr.labels` labels
  // (the key is inside the zone, so it has at least that many).
  const apex = s.labelStart[s.labels - zr.labels] as number;
  const o = writeRecordHeader(out, s.end, 0xc000 | apex, QType.SOA, zr.negativeTtl, zr.soa.length);
  writeBytes(out, o, zr.soa);
  return out;
}

function apexSoa(s: QueryState, query: Uint8Array, zr: ZoneRecords): Buffer {
  const out = beginReply(s, query, Rcode.NOERROR, true, 1, 0, RR_FIXED_LENGTH + zr.soa.length);
  s.outcome = Outcome.NOERROR;
  if (s.truncated) return out;
  writeBytes(out, writeRecordHeader(out, s.end, QNAME_POINTER, QType.SOA, zr.ttl, zr.soa.length), zr.soa);
  return out;
}

function apexNs(s: QueryState, query: Uint8Array, zr: ZoneRecords): Buffer {
  const out = beginReply(s, query, Rcode.NOERROR, true, zr.ns.length, 0, zr.nsLength);
  s.outcome = Outcome.NOERROR;
  if (s.truncated) return out;
  let o = s.end;
  for (const ns of zr.ns)
    o = writeBytes(out, writeRecordHeader(out, o, QNAME_POINTER, QType.NS, zr.ttl, ns.length), ns);
  return out;
}

/** REFUSED: header, question (and OPT), no AA. Also for a class other than IN. */
export function refused(s: QueryState, query: Uint8Array): Buffer {
  s.outcome = Outcome.REFUSED;
  return beginReply(s, query, Rcode.REFUSED, false, 0, 0, 0);
}

/** BADVERS (RFC 6891 §6.1.3): the query's EDNS version is above 0. Needs `s.edns`. */
export function badVersion(s: QueryState, query: Uint8Array): Buffer {
  s.outcome = Outcome.BADVERS;
  return beginReply(s, query, Rcode.BADVERS, false, 0, 0, 0);
}
