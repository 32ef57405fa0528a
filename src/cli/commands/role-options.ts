import { optionalField, optionalNumber, optionalSeconds, required } from '../args.js';
import type { OptionValues } from '../command.js';
import type { OPERATING_OPTIONS, ROLE_OPTIONS } from '../command.js';
import { parseAdminListen, type AdminRole } from '../../admin/admin.js';

/** What every role's run options share, from the options in ROLE_OPTIONS. */
export function roleCommon(v: OptionValues<typeof ROLE_OPTIONS>): {
  configSource: string;
  configIntervalMs?: number;
  statusEverySec: number;
  durationSec: number;
} {
  return {
    configSource: required('config', 'FILE|URL', v.config),
    ...optionalField('configIntervalMs', optionalSeconds('config-interval', v['config-interval'], 0.1, 3600)),
    statusEverySec: 1,
    durationSec: optionalNumber('duration', v.duration, 0, 31_536_000) ?? 0,
  };
}

/** `--admin` (when given) and `--lameduck` as serve and the roles pass them on; `defaultAdmin` applies when neither `--admin` nor the document's `admin.listen` says. */
export function operating(
  v: OptionValues<typeof OPERATING_OPTIONS>,
  role: AdminRole,
  defaultAdmin?: string,
): { admin?: { host: string; port: number } | null; adminDefault?: string; lameduckSec: number } {
  // No --admin: the role takes the document's admin.listen, else defaultAdmin.
  return {
    ...(v.admin === undefined ? {} : { admin: parseAdminListen(v.admin, role) }),
    ...(defaultAdmin === undefined ? {} : { adminDefault: defaultAdmin }),
    lameduckSec: optionalNumber('lameduck', v.lameduck, 0, 3600) ?? 0,
  };
}
