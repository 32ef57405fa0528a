import {
  FAIL_MODE_NAMES,
  FailMode,
  HealthMask,
  MULTIVALUE_MAX_RETURNED,
  POLICY_NAMES,
  Policy,
  RECORD_TYPE_NAMES,
  Role,
  DEFAULT_LOCATION,
  type FailMode as FailModeValue,
  type Plan,
  type PolicyName,
  type RecordType,
  type RecordTypeName,
} from '../config/plan.js';
import { MatchKind, matchName } from './match.js';
import { STATUS_NAMES, type StatusName } from '../table/layout.js';
import { answerHealthy } from './health.js';
import { normalizeName, zoneOf } from './names.js';
import { ClientAddress } from './client-address.js';
import { formatAddress } from './cidr-table.js';
import { liveCidrTables } from './ip.js';

/** One candidate answer and why it is, or isn't, eligible right now. */
export interface CandidateExplanation {
  readonly value: string;
  /** Weighted sets only. */
  readonly weight: number | null;
  /** Failover sets only. */
  readonly role: 'primary' | 'secondary' | null;
  readonly check: string | null;
  readonly slot: number | null;
  /** The check's status byte as a name, or null without a check. */
  readonly status: StatusName | null;
  /** Whether the candidate counts as healthy (after unknown / inverted / disabled rules). */
  readonly healthy: boolean;
  /** Whether a query now could return it. */
  readonly eligible: boolean;
  /** In words: why it is healthy or not, and why it is eligible or not. */
  readonly reason: string;
  /** For an alias answer: its target record set, explained the same way (the next level of the tree). */
  readonly alias: AliasExplanation | null;
  /** IP-based sets only: the answer's location in the set's CIDR collection, `*` for the default. */
  readonly location?: string;
}

/** How an IP-based set matched the client (`explain(name, { client })`). */
export interface IpMatchExplanation {
  /** The client address explained, or null (no client: the default answer). */
  readonly client: string | null;
  readonly collection: string;
  /** The location whose block matched, or `*` when none did. */
  readonly location: string;
  /** Length of the matched block (0: none), and the ECS scope a reply would carry. */
  readonly blockLength: number;
  readonly scope: number;
}

/** An alias answer's target and what its health contributes. */
export interface AliasExplanation {
  readonly target: string;
  readonly evaluateTargetHealth: boolean;
  /** Whether the target set has a healthy answer now (what evaluateTargetHealth reads). */
  readonly targetHealthy: boolean;
  readonly recordSet: RecordSetExplanation;
}

/** One record set of the name. */
export interface RecordSetExplanation {
  readonly type: RecordTypeName;
  readonly policy: PolicyName;
  readonly ttl: number;
  readonly whenAllUnhealthy: (typeof FAIL_MODE_NAMES)[number];
  readonly healthyCount: number;
  /** What a query returns now, in words. */
  readonly outcome: string;
  readonly candidates: readonly CandidateExplanation[];
  /** IP-based sets only: which location the client matched. */
  readonly ip?: IpMatchExplanation;
}

/** `explain(name)`: the answer to "why is this address in or out?". */
export interface Explanation {
  readonly name: string;
  /**
   * `ok` when the name (or the wildcard covering it) has record sets, else
   * why not; `delegated` when it is at or below an NS delegation (its
   * record sets are then the delegation's NS set).
   */
  readonly status: 'ok' | 'nxdomain' | 'nodata' | 'refused' | 'delegated';
  readonly zone: string | null;
  /** The wildcard (`*.shop.example`) whose record sets answer the name, or null (RFC 4592 matching). */
  readonly wildcard: string | null;
  readonly recordSets: readonly RecordSetExplanation[];
}

/**
 * Explains how `name` resolves now under `statuses`: every candidate, its
 * check and status, and why it is or isn't eligible. Allocates freely; it is
 * a diagnostic, not the query path, but it follows the same rules.
 */
export function explain(
  plan: Plan,
  statuses: Uint8Array,
  name: string,
  client: ClientAddress = new ClientAddress(),
): Explanation {
  const n = normalizeName(name);
  const z = zoneOf(plan, n);
  const zone = z >= 0 ? (plan.zones[z]?.origin ?? null) : null;
  const m = matchName(plan, n);
  const recordSets: RecordSetExplanation[] = [];
  if (m.kind === MatchKind.REFERRAL) {
    recordSets.push(explainSet(plan, statuses, m.cut, client));
    return { name: n, status: 'delegated', zone, wildcard: null, recordSets };
  }
  const node = m.node ?? n;
  for (let t = 0; t < plan.setByType.length; t++) {
    const set = plan.setByType[t as RecordType].get(node);
    if (set !== undefined) recordSets.push(explainSet(plan, statuses, set, client));
  }
  const status = recordSets.length > 0 ? 'ok' : m.kind === MatchKind.NODE ? 'nodata' : z >= 0 ? 'nxdomain' : 'refused';
  return { name: n, status, zone, wildcard: m.wildcard ? node : null, recordSets };
}

function healthReason(plan: Plan, statuses: Uint8Array, i: number): string {
  const check = plan.answerCheck[i] ?? null;
  if (check === null) return 'no health check: always healthy';
  const mask = plan.answerMask[i] as number;
  const status = STATUS_NAMES[statuses[plan.answerSlot[i] as number] as number] ?? 'invalid';
  if (mask === HealthMask.ALWAYS) return `check ${check} is disabled: counted healthy`;
  if (mask === HealthMask.NEVER) return `check ${check} is disabled and inverted: counted unhealthy`;
  const inv = mask === HealthMask.INVERTED ? ' (inverted)' : '';
  if (status === 'unknown') {
    return mask === HealthMask.INVERTED
      ? `check ${check}${inv} has no result yet: counted unhealthy`
      : `check ${check} has no result yet: counted healthy`;
  }
  return `check ${check}${inv} is ${status}`;
}

/**
 * Route 53's health of answer `i` in a tree: its own check, and for an alias
 * with evaluateTargetHealth, a healthy answer in the target set (tree.ts
 * computes the same bottom-up; this is the plain recursive reading).
 */
function treeHealthy(plan: Plan, statuses: Uint8Array, i: number): boolean {
  if (answerHealthy(plan, statuses, i) !== 1) return false;
  const target = plan.answerAlias[i] as number;
  return target === 0 || plan.answerEth[i] !== 1 || setHealthy(plan, statuses, target - 1);
}

function setHealthy(plan: Plan, statuses: Uint8Array, set: number): boolean {
  const first = plan.setFirst[set] as number;
  for (let i = first; i < first + (plan.setLength[set] as number); i++) if (treeHealthy(plan, statuses, i)) return true;
  return false;
}

function aliasReason(plan: Plan, statuses: Uint8Array, i: number): string {
  const target = plan.answerAlias[i] as number;
  if (target === 0) return '';
  const name = plan.setName[target - 1] as string;
  if (plan.answerEth[i] !== 1) return `; alias to ${name} without evaluateTargetHealth: its health not counted`;
  return setHealthy(plan, statuses, target - 1)
    ? `; alias to ${name}: the target has a healthy answer`
    : `; alias to ${name}: the target has no healthy answer (evaluateTargetHealth)`;
}

function aliasOf(plan: Plan, statuses: Uint8Array, i: number): AliasExplanation | null {
  const target = plan.answerAlias[i] as number;
  if (target === 0) return null;
  return {
    target: plan.setName[target - 1] as string,
    evaluateTargetHealth: plan.answerEth[i] === 1,
    targetHealthy: setHealthy(plan, statuses, target - 1),
    recordSet: explainSet(plan, statuses, target - 1),
  };
}

function explainSet(
  plan: Plan,
  statuses: Uint8Array,
  set: number,
  client: ClientAddress = new ClientAddress(),
): RecordSetExplanation {
  const first = plan.setFirst[set] as number;
  const len = plan.setLength[set] as number;
  const policy = plan.setPolicy[set] as number;
  const failMode = plan.setFailMode[set] as FailModeValue;
  const failClosed = failMode === FailMode.ANSWER_NONE;
  const healthy: boolean[] = [];
  let healthyCount = 0;
  let healthyWeight = 0;
  let healthyZero = 0;
  let totalWeight = 0;
  for (let k = 0; k < len; k++) {
    const i = first + k;
    const h = (policy === Policy.SIMPLE && plan.answerAlias[i] === 0) || treeHealthy(plan, statuses, i);
    const w = plan.answerWeight[i] as number;
    healthy.push(h);
    healthyCount += h ? 1 : 0;
    healthyWeight += h ? w : 0;
    healthyZero += h && w === 0 ? 1 : 0;
    totalWeight += w;
  }
  const allDown = healthyCount === 0;
  const eligible: boolean[] = [];
  const why: string[] = [];
  let outcome: string;
  let ip: ReturnType<typeof ipMatch> | null = null;

  if (policy === Policy.SIMPLE) {
    for (let k = 0; k < len; k++) {
      eligible.push(true);
      why.push('simple record sets are not health-checked: every value is answered');
    }
    outcome = `all ${len} value(s), in random order`;
  } else if (policy === Policy.WEIGHTED) {
    const tier = healthyWeight > 0 ? 'a' : healthyZero > 0 ? 'b' : totalWeight > 0 ? 'c' : 'd';
    const denom = tier === 'a' ? healthyWeight : tier === 'b' ? healthyZero : tier === 'c' ? totalWeight : len;
    for (let k = 0; k < len; k++) {
      const w = plan.answerWeight[first + k] as number;
      const h = healthy[k] as boolean;
      let share = 0;
      let reason: string;
      if (allDown && failClosed) {
        reason = 'every answer is unhealthy and whenAllUnhealthy is answer-none';
      } else if (tier === 'a') {
        share = h ? w : 0;
        reason = !h
          ? 'unhealthy'
          : w === 0
            ? 'weight 0: used only when every non-zero answer is unhealthy'
            : `weight ${w} of ${denom}`;
      } else if (tier === 'b') {
        share = h ? 1 : 0;
        reason = h ? 'every non-zero-weight answer is unhealthy: zero-weight answers share equally' : 'unhealthy';
      } else if (tier === 'c') {
        share = w;
        reason =
          w === 0
            ? 'every answer is unhealthy; weight 0'
            : `every answer is unhealthy: answering as if all were healthy, weight ${w} of ${denom}`;
      } else {
        share = 1;
        reason = 'every answer is unhealthy and every weight is 0: equal shares';
      }
      const pct = share > 0 ? ` (${((100 * share) / denom).toFixed(1)}%)` : '';
      eligible.push(share > 0 && !(allDown && failClosed));
      why.push(reason + pct);
    }
    outcome = allDown && failClosed ? 'empty answer (fail closed)' : 'one answer, chosen by weight among the eligible';
  } else if (policy === Policy.FAILOVER) {
    const hp = healthy[0] as boolean;
    const hasSecondary = len > 1;
    const hs = hasSecondary && (healthy[len - 1] as boolean);
    const chosen = hp ? 0 : hs ? len - 1 : failClosed ? -1 : 0;
    for (let k = 0; k < len; k++) {
      eligible.push(k === chosen);
      const role = k === 0 ? 'primary' : 'secondary';
      if (chosen === -1) why.push('primary and secondary are unhealthy and whenAllUnhealthy is answer-none');
      else if (k === chosen)
        why.push(
          role === 'primary'
            ? hp
              ? 'primary is healthy'
              : 'primary and secondary are unhealthy: answering the primary'
            : 'primary is unhealthy, secondary is healthy',
        );
      else why.push(role === 'secondary' ? 'primary is healthy: the secondary waits' : 'primary is unhealthy');
    }
    outcome = chosen === -1 ? 'empty answer (fail closed)' : chosen === 0 ? 'the primary' : 'the secondary';
  } else if (policy === Policy.IP) {
    ip = ipMatch(plan, set, client);
    const a = ip.answer - first;
    const d = ip.fallback - first;
    const ha = healthy[a] as boolean;
    const hd = healthy[d] as boolean;
    const chosen = ha ? a : hd ? d : failClosed ? -1 : a;
    const matched =
      ip.explained.location === DEFAULT_LOCATION
        ? 'no block matches the client'
        : `the client is in location ${ip.explained.location}`;
    for (let k = 0; k < len; k++) {
      eligible.push(k === chosen);
      if (chosen === -1)
        why.push(`${matched}; its answer and the default are unhealthy and whenAllUnhealthy is answer-none`);
      else if (k === chosen)
        why.push(
          k === a
            ? ha
              ? `${matched}: its answer is healthy`
              : `${matched}; its answer and the default are unhealthy: answering the match as if healthy`
            : `${matched}, whose answer is unhealthy: falling back to the default (*)`,
        );
      else if (k === a) why.push(`${matched}: its answer is unhealthy`);
      else if (k === d) why.push(`${matched}: the default (*) is not needed`);
      else why.push(`${matched}: not this location`);
    }
    outcome =
      chosen === -1
        ? 'empty answer (fail closed)'
        : chosen === a
          ? `the answer of location ${ip.explained.location}`
          : 'the default (*) answer';
  } else {
    for (let k = 0; k < len; k++) {
      const h = healthy[k] as boolean;
      const ok = allDown ? !failClosed : h;
      eligible.push(ok);
      why.push(
        allDown
          ? failClosed
            ? 'no answer is healthy and whenAllUnhealthy is answer-none'
            : 'no answer is healthy: answering from all of them'
          : h
            ? 'healthy'
            : 'unhealthy',
      );
    }
    const pool = allDown ? (failClosed ? 0 : len) : healthyCount;
    outcome =
      pool === 0
        ? 'empty answer (fail closed)'
        : `${Math.min(MULTIVALUE_MAX_RETURNED, pool)} of ${pool} eligible answer(s), at random`;
  }

  const candidates: CandidateExplanation[] = [];
  for (let k = 0; k < len; k++) {
    const i = first + k;
    const check = plan.answerCheck[i] ?? null;
    const role = plan.answerRole[i] as number;
    candidates.push({
      value: plan.answerValue[i] as string,
      weight: policy === Policy.WEIGHTED ? (plan.answerWeight[i] as number) : null,
      role: role === Role.PRIMARY ? 'primary' : role === Role.SECONDARY ? 'secondary' : null,
      check,
      slot: check === null ? null : (plan.answerSlot[i] as number),
      status: check === null ? null : (STATUS_NAMES[statuses[plan.answerSlot[i] as number] as number] ?? null),
      healthy: healthy[k] as boolean,
      eligible: eligible[k] as boolean,
      reason:
        policy === Policy.SIMPLE && plan.answerAlias[i] === 0
          ? (why[k] as string)
          : `${healthReason(plan, statuses, i)}${aliasReason(plan, statuses, i)}; ${eligible[k] ? 'eligible' : 'not eligible'}: ${why[k] as string}`,
      alias: aliasOf(plan, statuses, i),
      ...(policy === Policy.IP ? { location: locationName(plan, set, i) } : {}),
    });
  }
  return {
    type: RECORD_TYPE_NAMES[plan.setType[set] as number] as RecordTypeName,
    policy: POLICY_NAMES[policy] as PolicyName,
    ttl: plan.setTtl[set] as number,
    whenAllUnhealthy: FAIL_MODE_NAMES[failMode] as (typeof FAIL_MODE_NAMES)[number],
    healthyCount,
    outcome,
    candidates,
    ...(ip === null ? {} : { ip: ip.explained }),
  };
}

/** The location name of answer `i` of ip set `set`. */
function locationName(plan: Plan, set: number, i: number): string {
  const collection = plan.cidrCollections[(plan.setCidrCollection[set] as number) - 1];
  const l = plan.answerLocation[i] as number;
  return l === 0 ? DEFAULT_LOCATION : (collection?.locations[l - 1]?.name ?? '?');
}

/** The lookup the resolver makes for ip set `set` (ip.ts), in words. */
function ipMatch(
  plan: Plan,
  set: number,
  client: ClientAddress,
): { answer: number; fallback: number; explained: IpMatchExplanation } {
  const c = (plan.setCidrCollection[set] as number) - 1;
  const collection = plan.cidrCollections[c];
  const table = liveCidrTables(plan)[c];
  const out = new Int32Array(2);
  const location = table === undefined ? -1 : table.match(client.family, client.bytes, 0, client.prefix, out);
  const base = plan.setIpFirst[set] as number;
  return {
    answer: plan.ipLocationAnswer[base + 1 + location] as number,
    fallback: plan.ipLocationAnswer[base] as number,
    explained: {
      client: client.prefix === 0 ? null : formatAddress(client.family, client.bytes),
      collection: collection?.name ?? '?',
      location: location < 0 ? DEFAULT_LOCATION : (collection?.locations[location]?.name ?? '?'),
      blockLength: out[0] as number,
      scope: client.prefix === 0 ? 0 : (out[1] as number),
    },
  };
}
