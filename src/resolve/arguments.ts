import { UrndError } from '../errors.js';
import { RECORD_TYPE_NAMES, type Plan, type RecordType } from '../config/plan.js';
import type { StatusTable } from '../table/status-table.js';

/**
 * Argument checks at the resolver's public entry points, so a plain
 * JavaScript caller gets a UrndError naming the argument rather than a
 * TypeError from deep inside. They run once per call, outside any loop.
 */

/** A value as an error message shows it. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  const kind = value.constructor?.name;
  return kind === undefined || kind === 'Object' ? 'an object' : Array.isArray(value) ? 'an array' : `a ${kind}`;
}

export function badArgument(name: string, value: unknown, expected: string): UrndError {
  return new UrndError('URND_ERR_ARGUMENT', `${name}: ${shown(value)} is not ${expected}`);
}

export function requireName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw badArgument('name', name, 'a DNS name string');
}

/** A type name (`'A'`, `'MX'`, …) or a RecordType value → the RecordType. */
export function recordTypeOf(type: unknown): RecordType {
  if (typeof type === 'number' && Number.isInteger(type) && type >= 0 && type < RECORD_TYPE_NAMES.length)
    return type as RecordType;
  const i = typeof type === 'string' ? (RECORD_TYPE_NAMES as readonly string[]).indexOf(type) : -1;
  if (i >= 0) return i as RecordType;
  throw badArgument('type', type, `one of ${RECORD_TYPE_NAMES.join(', ')} or a RecordType`);
}

export function requirePlan(plan: unknown): asserts plan is Plan {
  const p = plan as Partial<Plan> | null;
  if (typeof p !== 'object' || p === null || typeof p.cell?.capacity !== 'number' || !Array.isArray(p.setByType)) {
    throw badArgument('plan', plan, 'a compiled Plan (what compileConfig returns)');
  }
}

export function requireStatusTable(table: unknown): asserts table is StatusTable {
  // By shape, not instanceof: a table may come from another copy of the module (another bundle, a test's own import).
  const t = table as Partial<StatusTable> | null;
  if (typeof t !== 'object' || t === null || typeof t.capacity !== 'number' || !(t.statuses instanceof Uint8Array))
    throw badArgument('table', table, 'a StatusTable');
}
