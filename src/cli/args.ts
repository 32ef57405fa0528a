import { UrndError } from '../errors.js';
import { parseListen } from '../config/schema.js';

/** Option values checked by the commands: each failure is one line naming the option and the value. */

/** A numeric option within [min, max], or undefined when absent. */
export function optionalNumber(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UrndError('URND_ERR_ARGUMENT', `--${name}: ${JSON.stringify(raw)} is not a number from ${min} to ${max}`);
  }
  return n;
}

/** A whole-number option within [min, max], or undefined when absent. */
export function optionalInteger(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  const n = optionalNumber(name, raw, min, max);
  if (n !== undefined && !Number.isInteger(n))
    throw new UrndError('URND_ERR_ARGUMENT', `--${name}: ${n} is not a whole number`);
  return n;
}

/** A duration option given in seconds → ms, or undefined when absent. */
export function optionalSeconds(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  const sec = optionalNumber(name, raw, min, max);
  return sec === undefined ? undefined : Math.round(sec * 1000);
}

/** A HOST:PORT option (IPv6 in brackets; port 0 lets the OS pick), or undefined when absent. */
export function optionalListen(name: string, raw: string | undefined): { host: string; port: number } | undefined {
  if (raw === undefined) return undefined;
  // parseListen takes ports 1..65535; port 0 is for tests and tools that read the port back.
  const anyPort = raw.endsWith(':0');
  const parsed = parseListen(anyPort ? `${raw.slice(0, -1)}1` : raw);
  if (parsed === null) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `--${name}: ${JSON.stringify(raw)} is not an IP address and port such as 127.0.0.1:5353 or [::1]:5353`,
    );
  }
  return anyPort ? { host: parsed.host, port: 0 } : parsed;
}

/** A HOST:PORT to connect to (port 0 refused). */
export function requireEndpoint(name: string, raw: string): { host: string; port: number } {
  const parsed = raw.endsWith(':0') ? null : parseListen(raw);
  if (parsed === null) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `--${name}: ${JSON.stringify(raw)} is not an IP address and port such as 127.0.0.1:7000 or [::1]:7000`,
    );
  }
  return parsed;
}

/** `{ [name]: value }`, or nothing when the value is undefined (for spreading into option objects). */
export function optionalField<K extends string, T>(name: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: T };
}

/** A required option's value, or a one-line error naming it. */
export function required(name: string, placeholder: string, raw: string | undefined): string {
  if (raw === undefined) throw new UrndError('URND_ERR_ARGUMENT', `--${name} ${placeholder} is required`);
  return raw;
}
