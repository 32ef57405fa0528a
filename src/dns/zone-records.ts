/**
 * The wire bytes a plan's answers need beyond addresses, built once per plan
 * (a config reload builds them again) so no query encodes a name: each
 * zone's SOA and NS RDATA, its TTLs, which record set each answer belongs
 * to (for the TTL of an address answer), and the table that finds a name's
 * string by its bytes.
 */
import dnsPacket from 'dns-packet';
import { RecordType, type Plan, type ZoneSpec } from '../config/plan.js';
import { MatchKind, delegations, matchName } from '../resolve/match.js';
import { buildNameTable, type NameTable } from './name-table.js';

/** Where a CNAME answer's target leads (`PlanRecords.answerNext`). */
export const Next = {
  /** Not a CNAME answer, or a target outside our zones (or delegated): the client follows it. */
  STOP: 0,
  /** A node of our zones answers the target (`answerNextNode`, `answerNextZone`). */
  NODE: 1,
  /** The target does not exist in our zone `answerNextZone`. */
  NXDOMAIN: 2,
} as const;

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
  /** The origin as a whole wire name: the owner of an SOA that is not under the question name. */
  readonly originWire: Uint8Array;
}

export interface PlanRecords {
  /** Per `plan.zones` index. */
  readonly zones: readonly ZoneRecords[];
  /** Record set of each answer index (answers of a set are consecutive). */
  readonly answerSet: Uint32Array;
  /** Every name of `plan.names`, found by its key bytes. */
  readonly names: NameTable;
  /** Existing names at or below a delegation → the NS set of the highest one (see resolve/match.ts). */
  readonly cuts: ReadonlyMap<string, number>;
  /** Labels in each set's owner name (a referral's NS owner points at that suffix of the question). */
  readonly setLabels: Uint8Array;
  /** Per answer: a `Next` for CNAME answers (STOP for every other answer). */
  readonly answerNext: Uint8Array;
  /** Per answer: the node answering a CNAME target (a name or a wildcard), else null. */
  readonly answerNextNode: readonly (string | null)[];
  /** Per answer: the zone of a CNAME target (Next NODE or NXDOMAIN), else -1. */
  readonly answerNextZone: Int32Array;
  /** Per answer of an NS set: the A and AAAA sets of its target in our zones (glue), else -1. */
  readonly glueA: Int32Array;
  readonly glueAAAA: Int32Array;
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
  const setLabels = new Uint8Array(plan.setCount);
  for (let set = 0; set < plan.setCount; set++) setLabels[set] = (plan.setName[set] as string).split('.').length;
  const answerNext = new Uint8Array(plan.answerCount);
  const answerNextNode: (string | null)[] = new Array<string | null>(plan.answerCount).fill(null);
  const answerNextZone = new Int32Array(plan.answerCount).fill(-1);
  const glueA = new Int32Array(plan.answerCount).fill(-1);
  const glueAAAA = new Int32Array(plan.answerCount).fill(-1);
  for (let set = 0; set < plan.setCount; set++) {
    const type = plan.setType[set];
    if (type !== RecordType.CNAME && type !== RecordType.NS) continue;
    const first = plan.setFirst[set] as number;
    for (let i = first; i < first + (plan.setLength[set] as number); i++) {
      if ((plan.answerAlias[i] as number) > 0) continue; // an alias is never itself an answer
      const target = (plan.answerValue[i] as string).slice(0, -1);
      if (type === RecordType.NS) {
        glueA[i] = plan.setByType[RecordType.A].get(target) ?? -1;
        glueAAAA[i] = plan.setByType[RecordType.AAAA].get(target) ?? -1;
        continue;
      }
      // Where the target leads is fixed by the plan: decided here, once.
      const m = matchName(plan, target);
      if (m.kind === MatchKind.NODE) {
        answerNext[i] = Next.NODE;
        answerNextNode[i] = m.node;
        answerNextZone[i] = m.zone;
      } else if (m.kind === MatchKind.NXDOMAIN) {
        answerNext[i] = Next.NXDOMAIN;
        answerNextZone[i] = m.zone;
      }
    }
  }
  return {
    zones: plan.zones.map(zoneRecords),
    answerSet,
    names: buildNameTable(plan.names.keys()),
    cuts: delegations(plan),
    setLabels,
    answerNext,
    answerNextNode,
    answerNextZone,
    glueA,
    glueAAAA,
  };
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
    originWire: rdata({ type: 'NS', name: '.', data: zone.origin }),
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
