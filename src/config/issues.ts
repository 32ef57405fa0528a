/**
 * Turning zod issues into our `{ path, message }` form. Messages name the
 * offending value (`300 is above 255`) because the person reading them is
 * looking at a document, not at a schema.
 */
import type * as z from 'zod';
import type { ConfigIssue } from '../errors.js';

/** The offending value as it reads in a message: strings quoted, short lists inline. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const text = value.length > 60 ? value.slice(0, 57) + '...' : value;
    return JSON.stringify(text);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    const inline =
      value.length <= 4 && value.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
    return inline ? `[${value.map(show).join(', ')}]` : `a list of ${value.length}`;
  }
  return 'an object';
}

const EXPECTED: Readonly<Record<string, string>> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
};

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Field names a strict object accepts, for "unknown field" messages. */
function knownFields(iss: z.core.$ZodRawIssue): string {
  const def = (iss.inst as z.core.$ZodType | undefined)?._zod.def as
    | { shape?: Record<string, z.core.$ZodType> }
    | undefined;
  const shape = def?.shape;
  if (shape === undefined) return '';
  const fields = Object.keys(shape).join(', ');
  // Checks are strict per type, so say which type's fields these are.
  const typeDef = shape['type']?._zod.def as { type?: string; values?: unknown[] } | undefined;
  if (typeDef?.type === 'literal' && typeDef.values?.length === 1) {
    return `; ${String(typeDef.values[0])} checks have: ${fields}`;
  }
  return `; known fields here: ${fields}`;
}

/**
 * The per-parse error map: generic wording for issues no schema-level `error`
 * callback claimed. Returning a string replaces zod's English default.
 */
export function defaultMessage(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${show(iss.input)}`;
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return `${(iss.input as unknown[]).length} items are more than ${max}`;
      if (iss.origin === 'string') return `${show(iss.input)} is longer than ${max} characters`;
      return iss.inclusive ? `${show(iss.input)} is above ${max}` : `${show(iss.input)} is not below ${max}`;
    }
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array') {
        const length = (iss.input as unknown[]).length;
        return length === 0 ? 'must not be empty' : `${length} items are fewer than ${min}`;
      }
      if (iss.origin === 'string')
        return min === 1 ? 'must not be empty' : `${show(iss.input)} is shorter than ${min} characters`;
      return iss.inclusive ? `${show(iss.input)} is below ${min}` : `${show(iss.input)} is not above ${min}`;
    }
    case 'invalid_value':
      return `${show(iss.input)} is not one of ${iss.values.map(String).join(', ')}`;
    case 'invalid_union': {
      // A discriminated union (checks by `type`) that found no matching option:
      // the issue's path ends at the discriminator, its input is the whole object.
      const u = iss as typeof iss & { options?: unknown[]; discriminator?: string };
      if (u.options !== undefined && u.discriminator !== undefined) {
        const value = (iss.input as Record<string, unknown> | undefined)?.[u.discriminator];
        if (value === undefined) return 'required';
        return `${show(value)} is not one of ${u.options.map(String).join(', ')}`;
      }
      return `${show(iss.input)} is not allowed here`;
    }
    case 'unrecognized_keys':
      return `unknown field${knownFields(iss)}`;
    case 'invalid_format':
      return `${show(iss.input)} is not in the expected format`;
    default:
      return `${show(iss.input)} is not allowed here`;
  }
}

const SECTION_RANK: Readonly<Record<string, number>> = { cell: 0, checks: 1, zones: 2, records: 3 };

/**
 * Our issues from zod's: one issue per unknown key (its path ends at the key),
 * duplicates dropped, and ordered by where they sit in the document so a long
 * list reads top to bottom.
 */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: { issue: ConfigIssue; rank: number; index: number; seq: number }[] = [];
  const seen = new Set<string>();
  const push = (path: readonly PropertyKey[], message: string): void => {
    const issue = { path: formatPath(path), message };
    const key = `${issue.path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const head = path[0];
    const index = path[1];
    out.push({
      issue,
      rank: typeof head === 'string' ? (SECTION_RANK[head] ?? 4) : -1,
      index: typeof index === 'number' ? index : -1,
      seq: out.length,
    });
  };
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) push([...iss.path, key], iss.message);
    } else {
      push(iss.path, iss.message);
    }
  }
  out.sort((a, b) => a.rank - b.rank || a.index - b.index || a.seq - b.seq);
  return out.map((o) => o.issue);
}
