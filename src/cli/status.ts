import type { CheckStatus, RecordSetStatus } from '../admin/status-document.js';
import { getAdminJson } from './admin-client.js';

/** The parts of `/status` this command prints (every role's document has them, some optional). */
interface StatusDocument {
  readonly role: string;
  readonly cell: { readonly name: string; readonly capacity: number };
  readonly config: {
    readonly version: string;
    readonly passes: number;
    readonly rejected: number;
    readonly lastError: string | null;
  };
  readonly ready: { readonly ready: boolean; readonly reason: string };
  readonly lameduck: boolean;
  readonly table?: { readonly secondsSinceLastGood?: number | null; readonly secondsSinceLastTick?: number | null };
  readonly checks?: readonly CheckStatus[];
  readonly recordSets?: readonly RecordSetStatus[];
}

/**
 * `urnd status`: the `/status` page of a running process, as a summary
 * (every check not healthy is listed; all of them with `--all`), or the
 * page itself with `--json`.
 */
export async function runStatus(
  opts: { admin: { host: string; port: number }; json: boolean; all: boolean },
  out: (line: string) => void,
): Promise<void> {
  const { value } = await getAdminJson(opts.admin, '/status');
  if (opts.json) {
    out(JSON.stringify(value, null, 2));
    return;
  }
  const s = value as StatusDocument;
  out(
    `urnd ${s.role}: cell "${s.cell.name}", ${s.cell.capacity} slots, config ${s.config.version.slice(0, 12)} (passes ${s.config.passes}, rejected ${s.config.rejected})`,
  );
  if (s.config.lastError !== null) out(`  last config error: ${s.config.lastError}`);
  out(`  ${s.ready.ready ? 'ready' : 'NOT READY'}: ${s.ready.reason}${s.lameduck ? ' (lameduck)' : ''}`);
  const age = s.table?.secondsSinceLastGood ?? s.table?.secondsSinceLastTick;
  if (s.table !== undefined)
    out(`  table: ${age === null || age === undefined ? 'none yet' : `${age.toFixed(1)} s old`}`);
  if (s.checks !== undefined) {
    const by = { healthy: 0, unhealthy: 0, unknown: 0 };
    for (const c of s.checks) by[c.status] += 1;
    out(`  checks: healthy ${by.healthy}  unhealthy ${by.unhealthy}  unknown ${by.unknown}`);
    for (const c of s.checks) {
      if (!opts.all && c.status === 'healthy') continue;
      const votes = c.vantages === null ? '' : ` votes ${c.vantages.join(',')}`;
      const reason = c.lastFailureReason === null ? '' : `  last failure ${c.lastFailureReason}`;
      out(
        `    ${c.id.padEnd(20)} slot ${String(c.slot).padStart(7)}  ${c.status.padEnd(9)}${votes}${reason}${c.changedAt === null ? '' : `  since ${c.changedAt}`}`,
      );
    }
  }
  if (s.recordSets !== undefined) {
    out(`  record sets: ${s.recordSets.length}`);
    for (const r of s.recordSets) {
      if (!opts.all && r.healthyAnswers === r.answers) continue;
      out(`    ${r.name} ${r.type} ${r.policy}: ${r.healthyAnswers} of ${r.answers} answers healthy`);
    }
  }
}
