import { POLICY_NAMES, RECORD_TYPE_NAMES, type Plan } from '../config/plan.js';
import { answerHealthy } from '../resolve/health.js';
import { STATUS_NAMES, type StatusName } from '../table/layout.js';
import { formatReason } from '../table/failure-reason.js';

/** One check as `/status` shows it. */
export interface CheckStatus {
  readonly id: string;
  readonly slot: number;
  readonly kind: 'probe' | 'calculated';
  readonly status: StatusName;
  /** Each vantage point's own verdict (aggregating processes only), else null. */
  readonly vantages: readonly StatusName[] | null;
  /**
   * Why its last failed probe failed (`refused`, `timeout`, `reset`, `tls`,
   * `status 503`, `body`, `error`), or null when none was seen or this
   * process does not aggregate (dns).
   */
  readonly lastFailureReason: string | null;
  /** When this process last saw its status change (ISO time), or null. */
  readonly changedAt: string | null;
}

/** One record set as `/status` shows it. */
export interface RecordSetStatus {
  readonly name: string;
  readonly type: string;
  readonly policy: string;
  readonly answers: number;
  /** Answers that count as healthy now, by the resolver's own rule (unknown / inverted / disabled included). */
  readonly healthyAnswers: number;
}

/** What the status document is built from. */
export interface StatusInputs {
  readonly plan: Plan;
  readonly statuses: Uint8Array;
  /** Per slot, ms since the epoch of the last change seen; 0 never. */
  readonly changedAtMs?: Float64Array;
  readonly vantages?: { readonly count: number; verdict(vantage: number, slot: number): number };
  /** Per slot, the reason word of the last failure (table/failure-reason.ts); 0 none. */
  readonly lastFailure?: (slot: number) => number;
}

/** Checks and record sets of the plan, read from the table now. */
export function cellStatus(i: StatusInputs): { checks: CheckStatus[]; recordSets: RecordSetStatus[] } {
  const { plan, statuses } = i;
  const checks = plan.checks.map((c): CheckStatus => {
    const at = i.changedAtMs?.[c.slot] ?? 0;
    return {
      id: c.id,
      slot: c.slot,
      kind: c.kind,
      status: STATUS_NAMES[statuses[c.slot] ?? 0] ?? 'unknown',
      vantages:
        i.vantages === undefined
          ? null
          : Array.from(
              { length: i.vantages.count },
              (_, v) => STATUS_NAMES[i.vantages?.verdict(v, c.slot) ?? 0] ?? 'unknown',
            ),
      lastFailureReason: i.lastFailure === undefined ? null : formatReason(i.lastFailure(c.slot)),
      changedAt: at > 0 ? new Date(at).toISOString() : null,
    };
  });
  const recordSets: RecordSetStatus[] = [];
  for (let s = 0; s < plan.setCount; s++) {
    const first = plan.setFirst[s] as number;
    const n = plan.setLength[s] as number;
    let healthy = 0;
    for (let a = first; a < first + n; a++) healthy += answerHealthy(plan, statuses, a);
    recordSets.push({
      name: plan.setName[s] as string,
      type: RECORD_TYPE_NAMES[plan.setType[s] as number] ?? '?',
      policy: POLICY_NAMES[plan.setPolicy[s] as number] ?? '?',
      answers: n,
      healthyAnswers: healthy,
    });
  }
  return { checks, recordSets };
}
