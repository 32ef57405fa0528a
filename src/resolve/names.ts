import { UrndError } from '../errors.js';
import type { Plan } from '../config/plan.js';

/** Lower case, no trailing dot: the form plans store names in. */
export function normalizeName(name: string): string {
  if (typeof name !== 'string')
    throw new UrndError('URND_ERR_ARGUMENT', `name: ${String(name)} is not a DNS name string`);
  const trimmed = name.charCodeAt(name.length - 1) === 46 ? name.slice(0, -1) : name;
  return trimmed.toLowerCase();
}

/** Index of the zone holding `name` (longest origin that is a suffix), or -1. */
export function zoneOf(plan: Plan, name: string): number {
  let best = -1;
  let bestLen = -1;
  for (let z = 0; z < plan.zones.length; z++) {
    const origin = (plan.zones[z] as { origin: string }).origin;
    const inside =
      name === origin ||
      (name.length > origin.length && name.endsWith(origin) && name.charCodeAt(name.length - origin.length - 1) === 46);
    if (inside && origin.length > bestLen) {
      best = z;
      bestLen = origin.length;
    }
  }
  return best;
}
