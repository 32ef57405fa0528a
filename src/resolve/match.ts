/**
 * Which node of a zone answers a name (RFC 1034 §4.3.2 steps 3a–3c, RFC 4592):
 *
 *   outside every zone                      → REFUSED
 *   at or below a delegation (NS below an apex) → REFERRAL to the highest such cut
 *   a name that exists (owner, apex, or an empty non-terminal) → NODE, the name itself
 *   else, the closest encloser (longest existing ancestor) has a `*` child
 *                                           → NODE, that wildcard (the answer's owner stays the query name)
 *   else                                    → NXDOMAIN
 *
 * An empty non-terminal exists, so it is a closest encloser and blocks a
 * wildcard above it (RFC 4592 §2.2.2): with `*.shop.example` and
 * `a.b.shop.example`, `x.b.shop.example` is NXDOMAIN.
 *
 * Which node answers depends on the plan alone, never on health. A name
 * that exists is matched with one or two map reads; a name that does not
 * costs one map read per label it has (and allocates its suffixes), the
 * same on every query for that name.
 */
import { RecordType, type Plan } from '../config/plan.js';
import { zoneOf } from './names.js';

export const MatchKind = {
  NODE: 0,
  NXDOMAIN: 1,
  REFUSED: 2,
  REFERRAL: 3,
} as const;
export type MatchKind = (typeof MatchKind)[keyof typeof MatchKind];

export interface NameMatch {
  readonly kind: MatchKind;
  /** NODE: the name whose record sets answer (the name itself, or a wildcard `*.…`); else null. */
  readonly node: string | null;
  /** NODE and REFERRAL: the wildcard matched. */
  readonly wildcard: boolean;
  /** Index into `plan.zones`; -1 for REFUSED. */
  readonly zone: number;
  /** REFERRAL: the NS set of the delegation; else -1. */
  readonly cut: number;
}

const cache = new WeakMap<Plan, ReadonlyMap<string, number>>();

/**
 * Every existing name at or below a delegation → the NS set of the highest
 * delegation above it (a cut's own name included). Built once per plan.
 */
export function delegations(plan: Plan): ReadonlyMap<string, number> {
  let cuts = cache.get(plan);
  if (cuts !== undefined) return cuts;
  const built = new Map<string, number>();
  const ns = plan.setByType[RecordType.NS];
  if (ns.size > 0) {
    for (const [name, zone] of plan.names) {
      const origin = (plan.zones[zone] as { origin: string }).origin;
      let highest = -1;
      for (let n = name; n.length > origin.length; n = n.slice(n.indexOf('.') + 1)) {
        const set = ns.get(n);
        if (set !== undefined) highest = set;
      }
      if (highest >= 0) built.set(name, highest);
    }
  }
  cuts = built;
  cache.set(plan, cuts);
  return cuts;
}

/** How `name` (lower case, no trailing dot) is answered in `plan`. */
export function matchName(plan: Plan, name: string): NameMatch {
  const cuts = delegations(plan);
  const zone = plan.names.get(name);
  if (zone !== undefined) {
    const cut = cuts.get(name) ?? -1;
    return cut >= 0
      ? { kind: MatchKind.REFERRAL, node: null, wildcard: false, zone, cut }
      : { kind: MatchKind.NODE, node: name, wildcard: false, zone, cut: -1 };
  }
  const z = zoneOf(plan, name);
  if (z < 0) return { kind: MatchKind.REFUSED, node: null, wildcard: false, zone: -1, cut: -1 };
  // The closest encloser: the apex always exists, so this ends inside the zone.
  let encloser = name;
  do encloser = encloser.slice(encloser.indexOf('.') + 1);
  while (!plan.names.has(encloser));
  const cut = cuts.get(encloser) ?? -1;
  if (cut >= 0) return { kind: MatchKind.REFERRAL, node: null, wildcard: false, zone: z, cut };
  const wildcard = `*.${encloser}`;
  if (plan.names.has(wildcard)) return { kind: MatchKind.NODE, node: wildcard, wildcard: true, zone: z, cut: -1 };
  return { kind: MatchKind.NXDOMAIN, node: null, wildcard: false, zone: z, cut: -1 };
}
