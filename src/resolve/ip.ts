import type { Plan } from '../config/plan.js';
import type { ClientAddress } from './client-address.js';
import { CidrTable } from './cidr-table.js';

// Local copies of plan.ts's answer-word layout (see weighted.ts for why),
// pinned by test/resolve-answer-word-layout.test.ts.
const SLOT_MASK = 0xfffff;
const MASK_SHIFT = 20;
const SCOPE = 1; // CidrMatch.SCOPE
export const LAYOUT_COPIES = { SLOT_MASK, MASK_SHIFT, SCOPE } as const;

/**
 * ip (Route 53 "IP-based routing"): the answer of the location whose CIDR
 * block is the longest one covering the client (`client`: the ECS address
 * or the source address), else the default (`*`) answer. Health as Route
 * 53 applies it: an unhealthy match falls back to the default answer; when
 * both are unhealthy, the matched one as if healthy (or nothing with
 * FailMode ANSWER_NONE). A client no block covers has the default as its
 * match, so its fallback is itself.
 *
 * Constant work: one table lookup (a fixed 3 or 6 steps whatever the number
 * of collections, see cidr-table.ts), both candidates' status bytes read,
 * the pick made by masks. The lookup runs for every query, with a client or
 * without (prefix 0 matches nothing). Raises `client.scope` to the match's
 * ECS scope.
 */
export function selectIp(
  plan: Plan,
  tables: readonly CidrTable[],
  statuses: Uint8Array,
  set: number,
  failMode: number,
  client: ClientAddress,
  out: Int32Array,
): number {
  const table = tables[(plan.setCidrCollection[set] as number) - 1];
  // Validated: every ip set names a collection; a bad decoded plan answers its first answer.
  if (table === undefined) {
    out[0] = plan.setFirst[set] as number;
    return 1;
  }
  const m = client.match;
  const location = table.match(client.family, client.bytes, 0, client.prefix, m);
  const base = plan.setIpFirst[set] as number;
  const words = plan.ipLocationAnswer;
  const d = words[base] as number;
  const a = words[base + 1 + location] as number;
  const word = plan.answerWord;
  const wa = word[a] as number;
  const wd = word[d] as number;
  const ha = ((wa >>> MASK_SHIFT) >>> (statuses[wa & SLOT_MASK] as number)) & 1;
  const hd = ((wd >>> MASK_SHIFT) >>> (statuses[wd & SLOT_MASK] as number)) & 1;
  // Masks, not products (see failover.ts): the default only when the match is down and the default up.
  out[0] = a + ((d - a) & (0 - ((1 - ha) & hd)));
  // SOURCE 0 (the client asked that its address not be used, RFC 7871 §7.1.2; or no client): the
  // default answer, and scope 0 with it, not the width of the address-space region around 0.0.0.0.
  const scope = (m[SCOPE] as number) & ((0 - client.prefix) >> 31);
  client.scope = Math.max(client.scope, scope);
  return 1 - (failMode & (1 - ha) & (1 - hd));
}

/**
 * The plan's CIDR tables as CidrTable objects. A plan sent to a resolver
 * thread is a structured clone (src/serving/resolver-messages.ts), which
 * keeps a table's fields (typed arrays, numbers) but not its class: those
 * are rebuilt around the same arrays, once per plan, copying nothing.
 */
export function liveCidrTables(plan: Plan): readonly CidrTable[] {
  const tables = plan.cidrTables;
  if (tables.every((t) => t instanceof CidrTable)) return tables;
  // Typed as CidrTable, but a clone's fields only: read them as such.
  const fields = tables as readonly Pick<
    CidrTable,
    'cells' | 'rootV4' | 'rootV6' | 'collections' | 'blocks' | 'nodes' | 'key'
  >[];
  return fields.map((t) =>
    t instanceof CidrTable ? t : new CidrTable(t.cells, t.rootV4, t.rootV6, t.collections, t.blocks, t.nodes, t.key),
  );
}
