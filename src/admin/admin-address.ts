/**
 * The admin listener's address: `--admin` and the document's `admin.listen`
 * take the same text, and the flag wins. Kept apart from admin.ts (which
 * brings node:http) so the config schema can check the field with it.
 */
import { UrndError } from '../errors.js';

/** The four processes that run an admin listener. */
export type AdminRole = 'serve' | 'checker' | 'aggregator' | 'dns';

/**
 * Where each role listens when `--admin` gives a host without a port (and
 * what the deploy files use). One port per role, so a checker, an
 * aggregator and a DNS server can share a host.
 */
export const ADMIN_DEFAULT_PORTS: Readonly<Record<AdminRole, number>> = {
  serve: 9530,
  checker: 9531,
  aggregator: 9532,
  dns: 9533,
};

/**
 * `admin.checkSeries` by default: per-check /metrics series for at most this
 * many checks. Kept here, not with the metric families, so the config
 * schema can default to it without importing them.
 */
export const DEFAULT_CHECK_SERIES_LIMIT = 10_000;

/** An admin listener address. */
export interface AdminAddress {
  readonly host: string;
  readonly port: number;
}

const ADMIN_LISTEN = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*))(?::(\d{1,5}))?$/;

/**
 * `--admin` value: `HOST:PORT`, `HOST` (the role's default port), `:PORT`
 * (127.0.0.1), or `off`. IPv6 in brackets. Undefined: off. Throws
 * URND_ERR_ARGUMENT naming `field` and the value.
 */
export function parseAdminListen(raw: string | undefined, role: AdminRole, field = '--admin'): AdminAddress | null {
  if (raw === undefined || raw === 'off') return null;
  const m = ADMIN_LISTEN.exec(raw);
  const host = m === null ? '' : (m[1] ?? (m[2] === '' || m[2] === undefined ? '127.0.0.1' : m[2]));
  const port = m === null ? 0 : m[3] === undefined ? ADMIN_DEFAULT_PORTS[role] : Number(m[3]);
  if (m === null || port > 65535 || (m[1] === undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host))) {
    throw new UrndError(
      'URND_ERR_ARGUMENT',
      `${field}: ${JSON.stringify(raw)} is not HOST[:PORT] such as 127.0.0.1:${ADMIN_DEFAULT_PORTS[role]}, [::1]:${ADMIN_DEFAULT_PORTS[role]} or off`,
    );
  }
  return { host, port };
}

/** True if `raw` is a valid `admin.listen` / `--admin` value (for any role). */
export function isAdminListen(raw: string): boolean {
  try {
    parseAdminListen(raw, 'serve');
    return true;
  } catch {
    return false;
  }
}

/**
 * The address a role's admin listener takes: the flag when given (null is
 * `--admin off`), else the document's `admin.listen`, else `roleDefault`
 * (`serve`: `127.0.0.1`; the other roles: none, off).
 */
export function adminAddressFor(
  role: AdminRole,
  flag: AdminAddress | null | undefined,
  documentListen: string | null,
  roleDefault?: string,
): AdminAddress | null {
  if (flag !== undefined) return flag;
  if (documentListen !== null) return parseAdminListen(documentListen, role, 'admin.listen');
  return parseAdminListen(roleDefault, role);
}

/**
 * The admin listener binds once, at start: a config pass that changes
 * `admin.listen` says so once per new value (a pass runs every few
 * seconds, changed or not) instead of leaving the operator to wonder why
 * the new address does not answer. Silent when `--admin` was given (the
 * flag wins over the document anyway).
 */
export class AdminListenWatch {
  private readonly atStart: string | null;
  private readonly flagGiven: boolean;
  private last: string | null;

  constructor(atStart: string | null, flagGiven: boolean) {
    this.atStart = atStart;
    this.flagGiven = flagGiven;
    this.last = atStart;
  }

  /** The line to log for this pass's `admin.listen`, or null when there is nothing new to say. */
  check(listen: string | null): string | null {
    if (this.flagGiven || listen === this.last) return null;
    this.last = listen;
    if (listen === this.atStart) return null;
    return `admin.listen ${listen === null ? '(unset)' : JSON.stringify(listen)} applies at the next start (the admin listener keeps ${this.atStart === null ? "the role's default" : JSON.stringify(this.atStart)})`;
  }
}
