import { UrndError } from '../errors.js';
import { MAX_ANSWERS_PER_SET, RecordType, type Plan, type RecordTypeName } from '../config/plan.js';
import type { StatusTable } from '../table/status-table.js';
import { RandomState, type RandomSource } from './random.js';
import { selectSimple } from './simple.js';
import { selectWeighted } from './weighted.js';
import { selectFailover } from './failover.js';
import { selectMultivalue } from './multivalue.js';
import { liveCidrTables, selectIp } from './ip.js';
import type { CidrTable } from './cidr-table.js';
import { ClientAddress, setClientText } from './client-address.js';
import { TreeScratch, evaluateTree } from './tree.js';
import { normalizeName, zoneOf } from './names.js';
import { explain, type Explanation } from './explain.js';
import { badArgument, recordTypeOf, requireName, requirePlan, requireStatusTable } from './arguments.js';

/**
 * Outcome codes of `Resolver.resolveInto` below zero. Zero and above is the
 * number of answers written (0 is a record set that answered nothing, as a
 * fail-closed set does when every candidate is unhealthy).
 */
export const ResolveCode = {
  /** The name does not exist in a zone we serve. */
  NXDOMAIN: -1,
  /** The name exists, but has no record set of this type. */
  NODATA: -2,
  /** The name is outside every zone we serve. */
  REFUSED: -3,
} as const;
export type ResolveCode = (typeof ResolveCode)[keyof typeof ResolveCode];

/** How big the `out` buffer of `resolveInto` must be. */
export const RESOLVE_BUFFER_LENGTH = MAX_ANSWERS_PER_SET;

// Local copies of Policy's values for the per-query switch, not exported: V8
// reloads an imported or exported binding with a TDZ check at every use.
// Pinned to plan.ts by test/resolve-answer-word-layout.test.ts.
const POLICY_WEIGHTED = 1;
const POLICY_FAILOVER = 2;
const POLICY_MULTIVALUE = 3;
const POLICY_IP = 4;
const POLICY_TREE = 5; // QUERY_TREE: a set with alias answers
export const POLICY_COPIES = { POLICY_WEIGHTED, POLICY_FAILOVER, POLICY_MULTIVALUE, POLICY_IP, POLICY_TREE } as const;

/** Options of a Resolver. */
export interface ResolverOptions {
  /** Seed of the built-in generator, for repeatable answers. Default: a random seed. */
  seed?: number;
  /**
   * Your own uniform numbers in [0, 1) instead of the built-in generator
   * (e.g. `seededRandom(n)` or a counting wrapper in tests). The built-in
   * one is what the zero-allocation figures are measured with.
   */
  random?: RandomSource;
}

/** The allocating, friendly result of `Resolver.resolve`. */
export interface ResolveResult {
  /** `ok` (possibly with no addresses, for a fail-closed set), or why there is no record set. */
  readonly status: 'ok' | 'nxdomain' | 'nodata' | 'refused';
  /** The chosen answers' RDATA text (addresses for A and AAAA). */
  readonly addresses: string[];
  /** TTL of the record set, seconds; 0 when status is not `ok`. */
  readonly ttl: number;
}

/**
 * The resolver core: answers a name from a compiled Plan, cross-referencing
 * every candidate with the shared StatusTable on every query.
 *
 * `resolveInto` is the hot path: it allocates nothing, takes no lock, and
 * runs the same instructions for a given name whether none, some or all of
 * its candidates are healthy.
 */
export class Resolver {
  private planRef: Plan;
  private readonly statuses: Uint8Array;
  private readonly table: StatusTable;
  private readonly rng: RandomState;
  private readonly scratch = new Int32Array(RESOLVE_BUFFER_LENGTH);
  /**
   * The client `policy: ip` sets route by, for the query being answered.
   * The DNS responder sets it (ECS option, else source address) before each
   * query; in-process callers pass it to `resolve` / `createLookup`. Without
   * one, ip sets answer their default.
   */
  readonly client = new ClientAddress();
  /** The plan's CIDR tables, as objects (see `liveCidrTables`); swapped with the plan. */
  private cidrTables: readonly CidrTable[];
  /** Alias-tree scratch of the current plan, made on its first tree query. */
  private treeScratch: TreeScratch | null = null;

  constructor(plan: Plan, table: StatusTable, options: ResolverOptions = {}) {
    requirePlan(plan);
    requireStatusTable(table);
    checkFits(plan, table);
    this.planRef = plan;
    this.cidrTables = liveCidrTables(plan);
    this.table = table;
    this.statuses = table.statuses;
    this.rng = new RandomState(options.seed, options.random ?? null);
  }

  /** The plan queries are answered from. */
  get plan(): Plan {
    return this.planRef;
  }

  /** The status table queries are checked against. */
  get statusTable(): StatusTable {
    return this.table;
  }

  /**
   * Swaps in a new plan (a config reload). One reference store, so a query
   * sees the old plan or the new one whole. Its capacity must match the table.
   */
  setPlan(plan: Plan): void {
    requirePlan(plan);
    checkFits(plan, this.table);
    this.cidrTables = liveCidrTables(plan);
    this.planRef = plan;
  }

  /**
   * Resolves `name` — lower case, no trailing dot, as `normalizeName`
   * gives it — into `out` as answer indices of `plan` (addresses in
   * `plan.answerValue` / `plan.answerAddress`). Returns the number written,
   * or a negative ResolveCode. `out` must hold RESOLVE_BUFFER_LENGTH entries.
   */
  resolveInto(name: string, type: RecordType, out: Int32Array): number {
    const plan = this.planRef;
    const sets = plan.setByType[type];
    // Checks a plain-JavaScript caller's mistakes where they cost nothing on a hit: a bad type has no map, a non-string name no set.
    if (sets === undefined) throw badArgument('type', type, 'a RecordType');
    const set = sets.get(name);
    if (set === undefined) {
      requireName(name);
      return missCode(plan, name);
    }
    return this.resolveSetInto(set, out);
  }

  /** A set with alias answers: its whole tree evaluated (tree.ts), every set of it, on every query. */
  private resolveTree(root: number, out: Int32Array): number {
    const plan = this.planRef;
    let sc = this.treeScratch;
    if (sc === null || sc.plan !== plan) {
      sc = new TreeScratch(plan);
      this.treeScratch = sc;
    }
    return evaluateTree(plan, this.statuses, root, this.rng, sc, out);
  }

  /**
   * `resolveInto` for a record set already found (by index): what the DNS
   * front uses once it has matched a name (wildcards, CNAME chains,
   * delegations), and `resolveInto` once it has found the name's set. The
   * same selectors, the same constant work.
   */
  resolveSetInto(set: number, out: Int32Array): number {
    const plan = this.planRef;
    const statuses = this.statuses;
    const q = plan.setQuery;
    const first = q[2 * set] as number;
    const info = q[2 * set + 1] as number;
    const n = info & 0xff;
    const failMode = (info >>> 8) & 0xff;
    // A switch on the policy (fixed per name), so each selector can be
    // inlined; the selectors themselves never branch on health.
    switch (info >>> 16) {
      case POLICY_WEIGHTED:
        return selectWeighted(plan, statuses, first, n, failMode, this.rng, out, set);
      case POLICY_FAILOVER:
        return selectFailover(plan, statuses, first, n, failMode, this.rng, out);
      case POLICY_MULTIVALUE:
        return selectMultivalue(plan, statuses, first, n, failMode, this.rng, out);
      case POLICY_IP:
        return selectIp(plan, this.cidrTables, statuses, set, failMode, this.client, out);
      case POLICY_TREE:
        return this.resolveTree(set, out);
      default:
        return selectSimple(plan, statuses, first, n, failMode, this.rng, out);
    }
  }

  /** Why each candidate of `name` is, or isn't, eligible now. See `Explanation`. */
  explain(name: string, options: { client?: string | null } = {}): Explanation {
    requireName(name);
    setClientText(this.client, options.client);
    return explain(this.planRef, this.statuses, name, this.client);
  }

  /**
   * Resolves a name's record set of `type` (exactly that name: no wildcard
   * or CNAME is followed here; the DNS front does that) to RDATA text:
   * addresses for A/AAAA, e.g. `10 mail.shop.example.` for MX. Allocates;
   * for tools and tests. Case and a trailing dot in `name` are ignored.
   * `client`: the address `policy: ip` sets route by (default: none, so
   * they answer their default location).
   */
  resolve(name: string, type: RecordType | RecordTypeName = RecordType.A, client?: string | null): ResolveResult {
    const t = recordTypeOf(type);
    requireName(name);
    setClientText(this.client, client);
    const n = normalizeName(name);
    const plan = this.planRef;
    const count = this.resolveInto(n, t, this.scratch);
    if (count < 0) {
      const status = count === ResolveCode.NXDOMAIN ? 'nxdomain' : count === ResolveCode.NODATA ? 'nodata' : 'refused';
      return { status, addresses: [], ttl: 0 };
    }
    const addresses: string[] = [];
    for (let k = 0; k < count; k++) addresses.push(plan.answerValue[this.scratch[k] as number] as string);
    const set = (plan.setByType[t] as ReadonlyMap<string, number>).get(n) as number;
    return { status: 'ok', addresses, ttl: plan.setTtl[set] as number };
  }
}

function checkFits(plan: Plan, table: StatusTable): void {
  if (plan.cell.capacity !== table.capacity) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `plan: cell capacity ${plan.cell.capacity} does not match the status table's ${table.capacity}`,
    );
  }
}

/** Why a name has no record set of a type: NODATA, NXDOMAIN or REFUSED. */
function missCode(plan: Plan, name: string): number {
  if (plan.names.has(name)) return ResolveCode.NODATA;
  return zoneOf(plan, name) >= 0 ? ResolveCode.NXDOMAIN : ResolveCode.REFUSED;
}
