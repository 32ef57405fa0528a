/**
 * What to answer to a well-formed query for class IN: the rcode, the
 * records, and the reply bytes. Both paths end here once they have read the
 * question into a QueryState. The name is matched first (resolve/match.ts:
 * exact, wildcard, delegation), then:
 *
 *   a set of the type at the node     → NOERROR, AA, the answers the resolver chose (set TTL)
 *   that set answered 0               → NOERROR, AA, no answer, SOA in authority (fail closed)
 *   a CNAME at the node (other type)  → the CNAME, then its target followed inside our zones,
 *                                       up to MAX_CHAIN CNAMEs; a target outside is left to
 *                                       the client; the rcode is the last name's (RFC 6604)
 *   SOA / NS at a zone apex           → NOERROR, AA, the SOA / the NS RRset (zone TTL)
 *   ANY                               → RFC 8482 §4.1, one RRset: the first type with a set
 *                                       (RecordType order), else the SOA at an apex
 *   at or below a delegation          → referral: NOERROR, no AA, the NS set in authority, glue
 *                                       A/AAAA from our zones in additional (DS at the cut: NODATA)
 *   AXFR / IXFR                       → REFUSED (no zone transfers)
 *   other type, name exists           → NOERROR, AA, no answer, SOA in authority (NODATA)
 *   name absent in a zone             → NXDOMAIN, AA, SOA in authority
 *   name outside our zones            → REFUSED, no AA
 *
 * The authority SOA's TTL is min(SOA TTL, MINIMUM) (RFC 2308 §3). A/AAAA at
 * a name that exists (the common query) writes its addresses directly.
 */
import { RECORD_TYPE_CODES, RecordType, type Plan } from '../config/plan.js';
import { MatchKind, matchName } from '../resolve/match.js';
import type { Resolver } from '../resolve/resolver.js';
import { Section, finish, putRecord, resetBody } from './compose.js';
import { Outcome, beginReply, writeBytes, writeRecordHeader } from './reply.js';
import { QNAME_POINTER, QType, Rcode, RR_FIXED_LENGTH, type QueryState } from './wire.js';
import { Next, type PlanRecords, type ZoneRecords } from './zone-records.js';
import { findName } from './name-table.js';

/** Most CNAMEs one reply follows (a loop in the zone ends here). */
export const MAX_CHAIN = 8;

/**
 * Answers the question in `s` (class IN, a valid name) from `resolver` and
 * `records` (built for `resolver.plan`). Sets `s.outcome` and `s.truncated`.
 */
export function answerQuery(s: QueryState, resolver: Resolver, records: PlanRecords, query: Uint8Array): Buffer {
  const plan = resolver.plan;
  // The plan's own string when the name exists (no allocation).
  const found = findName(records.names, s.keyBytes, s.keyLength, s.keyHash);
  const qtype = s.qtype;
  if (found !== null && (records.cuts.size === 0 || !records.cuts.has(found))) {
    if (qtype === QType.A || qtype === QType.AAAA) {
      const type = qtype === QType.A ? RecordType.A : RecordType.AAAA;
      const set = plan.setByType[type].get(found);
      if (set !== undefined) {
        const count = resolver.resolveSetInto(set, s.indices);
        if (count > 0) return addresses(s, plan, records, query, type, count);
        return negative(s, query, Outcome.NODATA, records, plan.names.get(found) as number);
      }
    }
    if (qtype === QType.AXFR || qtype === QType.IXFR) return refused(s, query);
    return answerNode(s, resolver, records, query, found, plan.names.get(found) as number);
  }
  if (qtype === QType.AXFR || qtype === QType.IXFR) return refused(s, query);
  // A name that does not exist (or is delegated): matched by its suffixes (allocates, as any miss did).
  const key = found ?? s.keyBytes.toString('latin1', 0, s.keyLength);
  const m = matchName(plan, key);
  switch (m.kind) {
    case MatchKind.REFUSED:
      return refused(s, query);
    case MatchKind.NXDOMAIN:
      return negative(s, query, Outcome.NXDOMAIN, records, m.zone);
    case MatchKind.REFERRAL:
      // DS lives on the parent side of a cut; we sign nothing, so there is none.
      if (qtype === QType.DS && key === plan.setName[m.cut]) return negative(s, query, Outcome.NODATA, records, m.zone);
      return referral(s, resolver, records, query, m.cut);
    default:
      return answerNode(s, resolver, records, query, m.node as string, m.zone);
  }
}

/** The RecordType a query for `qtype` reads at `name`, or -1 (ANY: the first type with a set). */
function typeAt(plan: Plan, qtype: number, name: string): number {
  if (qtype === QType.ANY) {
    for (let t = 0; t < RECORD_TYPE_CODES.length; t++) if (plan.setByType[t as RecordType].has(name)) return t;
    return -1;
  }
  for (let t = 0; t < RECORD_TYPE_CODES.length; t++) if (RECORD_TYPE_CODES[t] === qtype) return t;
  return -1;
}

/**
 * Answers at `node` (an existing name or a wildcard) for the question name,
 * following CNAMEs inside our zones. The first owner is the question name
 * (a pointer); after a CNAME it is that CNAME's target, copied from its RDATA.
 */
function answerNode(
  s: QueryState,
  resolver: Resolver,
  records: PlanRecords,
  query: Uint8Array,
  node: string,
  zone: number,
): Buffer {
  const plan = resolver.plan;
  const qtype = s.qtype;
  const rdata = plan.answerRdata;
  const starts = plan.answerRdataStart;
  resetBody(s);
  let name = node;
  let z = zone;
  // Owner: the question (ownerFrom < 0) or the RDATA of the CNAME answer at ownerFrom.
  let ownerFrom = -1;
  let ownerLength = 0;
  for (let hop = 0; ; hop++) {
    const t = typeAt(plan, qtype, name);
    const set = t < 0 ? undefined : plan.setByType[t as RecordType].get(name);
    if (set !== undefined) {
      const count = resolver.resolveSetInto(set, s.indices);
      const code = RECORD_TYPE_CODES[t] as number;
      // The TTL of the set the answers come from (an alias answers with its target's, as in Route 53).
      const ttl = plan.setTtl[records.answerSet[s.indices[0] as number] as number] as number;
      for (let k = 0; k < count; k++) {
        const i = s.indices[k] as number;
        const from = starts[i] as number;
        putOwned(
          s,
          Section.ANSWER,
          ownerFrom,
          ownerLength,
          rdata,
          code,
          ttl,
          rdata,
          from,
          (starts[i + 1] as number) - from,
        );
      }
      if (count === 0) return ended(s, query, records, z, hop, Outcome.NODATA);
      s.outcome = Outcome.NOERROR;
      return finish(s, query, Rcode.NOERROR, true);
    }
    const zr = records.zones[z] as ZoneRecords;
    if (name === (plan.zones[z] as { origin: string }).origin) {
      if (qtype === QType.SOA || qtype === QType.ANY) {
        if (hop === 0) return apexSoa(s, query, zr);
        putOwned(s, Section.ANSWER, ownerFrom, ownerLength, rdata, QType.SOA, zr.ttl, zr.soa, 0, zr.soa.length);
        s.outcome = Outcome.NOERROR;
        return finish(s, query, Rcode.NOERROR, true);
      }
      if (qtype === QType.NS) {
        if (hop === 0) return apexNs(s, query, zr);
        for (const ns of zr.ns)
          putOwned(s, Section.ANSWER, ownerFrom, ownerLength, rdata, QType.NS, zr.ttl, ns, 0, ns.length);
        s.outcome = Outcome.NOERROR;
        return finish(s, query, Rcode.NOERROR, true);
      }
    }
    const cname = qtype === QType.CNAME ? undefined : plan.setByType[RecordType.CNAME].get(name);
    if (cname === undefined || hop === MAX_CHAIN) return ended(s, query, records, z, hop, Outcome.NODATA);
    const count = resolver.resolveSetInto(cname, s.indices);
    if (count === 0) return ended(s, query, records, z, hop, Outcome.NODATA);
    const i = s.indices[0] as number;
    const from = starts[i] as number;
    const length = (starts[i + 1] as number) - from;
    putOwned(
      s,
      Section.ANSWER,
      ownerFrom,
      ownerLength,
      rdata,
      QType.CNAME,
      plan.setTtl[records.answerSet[i] as number] as number,
      rdata,
      from,
      length,
    );
    const next = records.answerNext[i];
    if (next === Next.STOP) {
      s.outcome = Outcome.NOERROR;
      return finish(s, query, Rcode.NOERROR, true);
    }
    z = records.answerNextZone[i] as number;
    if (next === Next.NXDOMAIN) return ended(s, query, records, z, hop + 1, Outcome.NXDOMAIN);
    name = records.answerNextNode[i] as string;
    ownerFrom = from;
    ownerLength = length;
  }
}

/** `putRecord` with the owner of `answerNode`: the question name, or whole bytes of `owners` at `ownerFrom`. */
function putOwned(
  s: QueryState,
  section: (typeof Section)[keyof typeof Section],
  ownerFrom: number,
  ownerLength: number,
  owners: Uint8Array,
  type: number,
  ttl: number,
  data: Uint8Array,
  from: number,
  length: number,
): void {
  if (ownerFrom < 0) putRecord(s, section, QNAME_POINTER, null, 0, 0, type, ttl, data, from, length);
  else putRecord(s, section, 0, owners, ownerFrom, ownerLength, type, ttl, data, from, length);
}

/**
 * No (more) answers at the end of a chain: NODATA or NXDOMAIN for the last
 * name, with zone `z`'s SOA in authority. Without a CNAME written, the
 * plain negative reply.
 */
function ended(
  s: QueryState,
  query: Uint8Array,
  records: PlanRecords,
  z: number,
  hop: number,
  outcome: Outcome,
): Buffer {
  if (hop === 0 && s.an === 0) return negative(s, query, outcome, records, z);
  const zr = records.zones[z] as ZoneRecords;
  putRecord(
    s,
    Section.AUTHORITY,
    0,
    zr.originWire,
    0,
    zr.originWire.length,
    QType.SOA,
    zr.negativeTtl,
    zr.soa,
    0,
    zr.soa.length,
  );
  s.outcome = s.an > 0 ? Outcome.NOERROR : outcome;
  return finish(s, query, outcome === Outcome.NXDOMAIN ? Rcode.NXDOMAIN : Rcode.NOERROR, true);
}

/**
 * A referral to the delegation whose NS set is `cut` (an ancestor of, or
 * the question name): no AA, the NS records in authority, and the A/AAAA
 * of each name server that our zones hold in additional.
 */
function referral(s: QueryState, resolver: Resolver, records: PlanRecords, query: Uint8Array, cut: number): Buffer {
  const plan = resolver.plan;
  const rdata = plan.answerRdata;
  const starts = plan.answerRdataStart;
  resetBody(s);
  const owner = 0xc000 | (s.labelStart[s.labels - (records.setLabels[cut] as number)] as number);
  const ttl = plan.setTtl[cut] as number;
  const count = resolver.resolveSetInto(cut, s.indices);
  for (let k = 0; k < count; k++) {
    const i = s.indices[k] as number;
    const from = starts[i] as number;
    putRecord(s, Section.AUTHORITY, owner, null, 0, 0, QType.NS, ttl, rdata, from, (starts[i + 1] as number) - from);
  }
  for (let k = 0; k < count; k++) {
    const i = s.indices[k] as number;
    glue(s, resolver, records.glueA[i] as number, QType.A, i);
    glue(s, resolver, records.glueAAAA[i] as number, QType.AAAA, i);
  }
  s.outcome = Outcome.NOERROR;
  return finish(s, query, Rcode.NOERROR, false);
}

/** The addresses of glue set `set` (or none when -1), owned by the name in NS answer `ns`'s RDATA. */
function glue(s: QueryState, resolver: Resolver, set: number, type: number, ns: number): void {
  if (set < 0) return;
  const plan = resolver.plan;
  const starts = plan.answerRdataStart;
  const nsFrom = starts[ns] as number;
  const nsLength = (starts[ns + 1] as number) - nsFrom;
  const count = resolver.resolveSetInto(set, s.glue);
  const ttl = plan.setTtl[set] as number;
  for (let k = 0; k < count; k++) {
    const i = s.glue[k] as number;
    const from = starts[i] as number;
    putRecord(
      s,
      Section.ADDITIONAL,
      0,
      plan.answerRdata,
      nsFrom,
      nsLength,
      type,
      ttl,
      plan.answerRdata,
      from,
      (starts[i + 1] as number) - from,
    );
  }
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
