import { compileConfig } from '../config/compile.js';
import { loadConfig } from '../config/load.js';
import { UrndError } from '../errors.js';
import { RECORD_TYPE_NAMES } from '../config/plan.js';
import { explain, type Explanation, type RecordSetExplanation } from '../resolve/explain.js';
import { getAdminJson } from './admin-client.js';

/**
 * `urnd explain NAME [TYPE]`: why each candidate of NAME is in or out —
 * from a running process's table (`/explain` of its admin listener), or
 * offline from a config document (`-c FILE`, every check unknown, as a cell
 * that has not probed yet sees it).
 */
export async function runExplain(
  opts: {
    name: string;
    type: string | undefined;
    admin: { host: string; port: number } | null;
    config: string | null;
    json: boolean;
  },
  out: (line: string) => void,
): Promise<void> {
  const type = opts.type?.toUpperCase();
  if (type !== undefined && !(RECORD_TYPE_NAMES as readonly string[]).includes(type))
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `TYPE: ${JSON.stringify(opts.type)} is not one of ${RECORD_TYPE_NAMES.join(', ')}`,
    );
  let e: Explanation;
  if (opts.config !== null) {
    const plan = compileConfig(await loadConfig(opts.config));
    const all = explain(plan, new Uint8Array(plan.cell.capacity), opts.name);
    e = type === undefined ? all : { ...all, recordSets: all.recordSets.filter((s) => s.type === type) };
  } else {
    const admin = opts.admin as { host: string; port: number };
    const r = await getAdminJson(
      admin,
      `/explain?name=${encodeURIComponent(opts.name)}${type === undefined ? '' : `&type=${type}`}`,
    );
    if (r.status !== 200) throw new UrndError('URND_ERR_ARGUMENT', `explain: HTTP ${r.status}`);
    e = r.value as Explanation;
  }
  if (opts.json) {
    out(JSON.stringify(e, null, 2));
    return;
  }
  out(
    `${e.name}: ${e.status}${e.zone === null ? '' : ` (zone ${e.zone})`}${opts.config !== null ? ', offline: every check unknown' : ''}`,
  );
  for (const s of e.recordSets) writeSet(s, '  ', out);
}

/** One record set and its candidates; an alias candidate's target set below it, indented (the tree's path). */
function writeSet(s: RecordSetExplanation, indent: string, out: (line: string) => void): void {
  out(
    `${indent}${s.type} ${s.policy}, ttl ${s.ttl}, when all unhealthy: ${s.whenAllUnhealthy} — ${s.healthyCount} healthy: ${s.outcome}`,
  );
  for (const c of s.candidates) {
    // The reason names the check and its status; the line adds what the policy weighs.
    const extra = [c.weight === null ? null : `weight ${c.weight}`, c.role].filter((x) => x !== null).join(', ');
    out(`${indent}  ${c.eligible ? '+' : '-'} ${c.value.padEnd(15)} ${extra === '' ? '' : `(${extra}) `}${c.reason}`);
    if (c.alias !== null) writeSet(c.alias.recordSet, `${indent}    `, out);
  }
}
