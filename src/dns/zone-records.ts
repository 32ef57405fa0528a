/**
 * The wire bytes a plan's answers need beyond addresses, built once per plan
 * (a config reload builds them again) so no query encodes a name: each
 * zone's SOA and NS RDATA, its TTLs, which record set each answer belongs
 * to (for the TTL of an address answer), and the table that finds a name's
 * string by its bytes.
 */
import dnsPacket from 'dns-packet';
import type { Plan, ZoneSpec } from '../config/plan.js';
import { buildNameTable, type NameTable } from './name-table.js';

/** A zone's records in wire form. */
export interface ZoneRecords {
  /** Labels in the origin: the SOA owner in an authority section points at that suffix of the question name. */
  readonly labels: number;
  /** TTL of the apex SOA and NS RRsets (the zone's `ttl`). */
  readonly ttl: number;
  /** TTL of the SOA in a negative answer: min(SOA TTL, SOA MINIMUM) (RFC 2308 §3). */
  readonly negativeTtl: number;
  /** SOA RDATA, without its RDLENGTH. */
  readonly soa: Uint8Array;
  /** NS RDATA of each name server, without RDLENGTH. */
  readonly ns: readonly Uint8Array[];
  /** Bytes of the NS RRset as answers with pointer owners. */
  readonly nsLength: number;
}

export interface PlanRecords {
  /** Per `plan.zones` index. */
  readonly zones: readonly ZoneRecords[];
  /** Record set of each answer index (answers of a set are consecutive). */
  readonly answerSet: Uint32Array;
  /** Every name of `plan.names`, found by its key bytes. */
  readonly names: NameTable;
}

const cache = new WeakMap<Plan, PlanRecords>();

/** The wire records of `plan`, built on first use and kept as long as the plan is. */
export function planRecords(plan: Plan): PlanRecords {
  let records = cache.get(plan);
  if (records === undefined) {
    records = buildPlanRecords(plan);
    cache.set(plan, records);
  }
  return records;
}

function buildPlanRecords(plan: Plan): PlanRecords {
  const answerSet = new Uint32Array(plan.answerCount);
  for (let set = 0; set < plan.setCount; set++) {
    const first = plan.setFirst[set] as number;
    answerSet.fill(set, first, first + (plan.setLength[set] as number));
  }
  return { zones: plan.zones.map(zoneRecords), answerSet, names: buildNameTable(plan.names.keys()) };
}

function zoneRecords(zone: ZoneSpec): ZoneRecords {
  const soa = rdata({ type: 'SOA', name: '.', data: { ...zone.soa } });
  const ns = zone.ns.map((host) => rdata({ type: 'NS', name: '.', data: host }));
  return {
    labels: zone.origin.split('.').length,
    ttl: zone.ttl,
    negativeTtl: Math.min(zone.ttl, zone.soa.minimum),
    soa,
    ns,
    nsLength: ns.reduce((sum, r) => sum + 12 + r.length, 0),
  };
}

/**
 * RDATA of one record, encoded by dns-packet: the record alone, owned by the
 * root, as the answer of an otherwise empty message, cut after its fixed
 * fields. Once per zone and plan, so its cost does not matter.
 */
function rdata(answer: dnsPacket.Answer): Uint8Array {
  const msg = dnsPacket.encode({ type: 'response', answers: [answer] });
  // header (12), root owner (1), TYPE CLASS TTL (8), RDLENGTH (2), RDATA
  const start = 12 + 1 + 10;
  const length = msg.readUInt16BE(start - 2);
  return new Uint8Array(msg.subarray(start, start + length));
}
