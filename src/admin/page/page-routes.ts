import { UrndError } from '../../errors.js';
import { POLICY_NAMES, RECORD_TYPE_NAMES, type CheckSpec, type Plan } from '../../config/plan.js';
import { explain } from '../../resolve/explain.js';
import { STATUS_NAMES } from '../../table/layout.js';
import { formatReason } from '../../table/failure-reason.js';
import { json, type AdminResponse, type AdminServer } from '../admin-server.js';
import { PAGE_HTML, PAGE_SCRIPT } from './page-assets.js';
import type { PageSource } from './page-source.js';
import { encodeTable } from './table-frame.js';

/** Paths the page adds to an admin listener. */
export const PAGE_PATHS = ['/', '/page.js', '/table', '/page/plan', '/page/check', '/page/answers'] as const;

/**
 * Adds the live page to `server`: `/` and `/page.js` (static, from the
 * package), `/table` (header + status bytes, fixed size), `/page/plan`
 * (checks and record sets, fetched when the plan changes), `/page/check?slot=N`
 * (one slot's details) and `/page/answers` (each answer in or out now, by
 * the resolver's explain: one byte an answer, fixed size; the words of
 * the reasons come from /explain when a set is opened).
 */
export function addPage(server: AdminServer, source: PageSource): void {
  const html = Buffer.from(PAGE_HTML);
  const script = Buffer.from(PAGE_SCRIPT);
  server.route('/', () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  server.route('/page.js', () => ({ status: 200, contentType: 'text/javascript; charset=utf-8', body: script }));
  server.route(
    '/table',
    (): AdminResponse => ({
      status: 200,
      contentType: 'application/octet-stream',
      body: encodeTable(source.statuses(), source.header(), Date.now()),
    }),
  );
  server.route('/page/plan', () => json(200, planDocument(source)));
  server.route('/page/check', (req) => {
    const raw = req.query.get('slot') ?? '';
    const slot = Number(raw);
    const capacity = source.plan().cell.capacity;
    if (raw === '' || !Number.isInteger(slot) || slot < 0 || slot >= capacity) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `page/check: slot ${JSON.stringify(raw)} is not an integer in 0..${capacity - 1}`,
      );
    }
    return json(200, slotDetail(source, slot));
  });
  server.route('/page/answers', () => ({
    status: 200,
    contentType: 'application/octet-stream',
    body: answerBytes(source),
  }));
}

/** How a check is reached, in a few words. */
export function checkTarget(c: CheckSpec): string {
  if (c.kind === 'calculated') return `calculated: ${c.healthyThreshold} of ${c.children.join(', ')} healthy`;
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return c.type === 'tcp' ? `tcp ${host}:${c.port}` : `${c.type}://${host}:${c.port}${c.path}`;
}

const checkBySlotCache = new WeakMap<Plan, Map<number, CheckSpec>>();
const setsBySlotCache = new WeakMap<Plan, Map<number, string[]>>();

function checkBySlot(plan: Plan): Map<number, CheckSpec> {
  let m = checkBySlotCache.get(plan);
  if (m === undefined) {
    m = new Map(plan.checks.map((c) => [c.slot, c]));
    checkBySlotCache.set(plan, m);
  }
  return m;
}

function setLabel(plan: Plan, s: number): string {
  return `${plan.setName[s] as string} ${RECORD_TYPE_NAMES[plan.setType[s] as number] ?? '?'}`;
}

/** Record sets (as "name TYPE") that have an answer decided by each slot. */
function setsBySlot(plan: Plan): Map<number, string[]> {
  let m = setsBySlotCache.get(plan);
  if (m === undefined) {
    m = new Map();
    for (let s = 0; s < plan.setCount; s++) {
      const first = plan.setFirst[s] as number;
      for (let a = first; a < first + (plan.setLength[s] as number); a++) {
        if (plan.answerCheck[a] === null || plan.answerCheck[a] === undefined) continue;
        const slot = plan.answerSlot[a] as number;
        const list = m.get(slot) ?? [];
        if (!list.includes(setLabel(plan, s))) list.push(setLabel(plan, s));
        m.set(slot, list);
      }
    }
    setsBySlotCache.set(plan, m);
  }
  return m;
}

function planDocument(source: PageSource): object {
  const plan = source.plan();
  const sets = [];
  for (let s = 0; s < plan.setCount; s++) {
    const first = plan.setFirst[s] as number;
    const answers = [];
    for (let a = first; a < first + (plan.setLength[s] as number); a++)
      answers.push({
        index: a,
        value: plan.answerValue[a],
        check: plan.answerCheck[a] ?? null,
        slot: plan.answerCheck[a] == null ? null : plan.answerSlot[a],
      });
    sets.push({
      name: plan.setName[s],
      type: RECORD_TYPE_NAMES[plan.setType[s] as number],
      policy: POLICY_NAMES[plan.setPolicy[s] as number],
      answers,
    });
  }
  return {
    role: source.role,
    cell: plan.cell,
    version: plan.version,
    checks: plan.checks.map((c) => ({ id: c.id, slot: c.slot, kind: c.kind, target: checkTarget(c) })),
    sets,
  };
}

function slotDetail(source: PageSource, slot: number): object {
  const plan = source.plan();
  const c = checkBySlot(plan).get(slot) ?? null;
  const status = STATUS_NAMES[source.statuses()[slot] ?? 0] ?? 'unknown';
  const at = source.changedAtMs()?.[slot] ?? 0;
  const v = source.vantages();
  return {
    slot,
    used: c !== null,
    id: c?.id ?? null,
    kind: c?.kind ?? null,
    target: c === null ? null : checkTarget(c),
    status,
    vantages:
      v === null || c === null
        ? null
        : Array.from({ length: v.count }, (_, i) => STATUS_NAMES[v.verdict(i, slot)] ?? 'unknown'),
    lastFailureReason: source.lastFailure === undefined ? null : formatReason(source.lastFailure(slot)),
    changedAt: at > 0 ? new Date(at).toISOString() : null,
    recordSets: setsBySlot(plan).get(slot) ?? [],
  };
}

/** Bits of an answer's byte in /page/answers. */
export const AnswerBit = { ELIGIBLE: 1, HEALTHY: 2, STATUS_SHIFT: 2, NO_CHECK: 3 } as const;

/**
 * One byte an answer, in plan order: eligible, counted healthy, and the
 * status of its check (3: none), from the resolver's own explain. The same
 * size whatever the table says.
 */
function answerBytes(source: PageSource): Uint8Array {
  const plan = source.plan();
  const statuses = source.statuses();
  const out = Buffer.alloc(plan.answerCount);
  for (let s = 0; s < plan.setCount; s++) {
    const type = RECORD_TYPE_NAMES[plan.setType[s] as number];
    const set = explain(plan, statuses, plan.setName[s] as string).recordSets.find((r) => r.type === type);
    const first = plan.setFirst[s] as number;
    set?.candidates.forEach((c, k) => {
      const status = c.status === null ? AnswerBit.NO_CHECK : STATUS_NAMES.indexOf(c.status);
      out[first + k] =
        (c.eligible ? AnswerBit.ELIGIBLE : 0) |
        (c.healthy ? AnswerBit.HEALTHY : 0) |
        (status << AnswerBit.STATUS_SHIFT);
    });
  }
  return out;
}
