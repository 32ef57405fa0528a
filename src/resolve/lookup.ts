import dns from 'node:dns';
import { RecordType } from '../config/plan.js';
import { RESOLVE_BUFFER_LENGTH, ResolveCode, type Resolver } from './resolver.js';
import { normalizeName } from './names.js';
import { badArgument } from './arguments.js';

/** An address as `dns.lookup` gives it with `all: true`. */
export interface LookupAddress {
  address: string;
  family: 4 | 6;
}

/** The options `dns.lookup` takes (the ones that matter here). */
export interface LookupOptions {
  family?: number | 'IPv4' | 'IPv6' | undefined;
  all?: boolean | undefined;
  hints?: number | undefined;
  /** `ipv4first` (default), `ipv6first` or `verbatim`, as in Node ≥ 20. */
  order?: 'ipv4first' | 'ipv6first' | 'verbatim' | undefined;
  verbatim?: boolean | undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A function with the signature of `dns.lookup`, which `net.connect`,
 * `http.request`, `tls.connect` and undici's `connect` options accept as
 * `lookup`.
 */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions | number | LookupCallback,
  callback?: LookupCallback,
) => void;

/** Options of `createLookup`. */
export interface CreateLookupOptions {
  /**
   * Where names outside every zone of the plan go: `dns.lookup` by default,
   * or `false` to fail them with ENOTFOUND. Names inside a zone we serve are
   * always answered by urnd, never passed on.
   */
  passthrough?: LookupFunction | false;
}

/**
 * Makes a `lookup` that answers names of our zones from the resolver, so a
 * Node program connects only to health-checked endpoints, in-process:
 *
 * ```ts
 * http.get({ host: 'www.demo.test', port: 8080, lookup: createLookup(resolver) })
 * ```
 *
 * family 4 asks for A records, 6 for AAAA, 0 (default) for both (A first
 * unless `order: 'ipv6first'`). Without `all` the first address is given.
 * A name we serve that has no address now fails with ENOTFOUND, like a
 * failed getaddrinfo.
 */
export function createLookup(resolver: Resolver, options: CreateLookupOptions = {}): LookupFunction {
  if (typeof (resolver as Partial<Resolver> | null)?.resolveInto !== 'function')
    throw badArgument('resolver', resolver, 'a Resolver');
  const passthrough = options.passthrough ?? (dns.lookup as unknown as LookupFunction);
  const out = new Int32Array(RESOLVE_BUFFER_LENGTH);

  return function urndLookup(hostname, optionsOrCallback, maybeCallback) {
    const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as LookupCallback;
    if (typeof callback !== 'function') {
      throw badArgument('callback', callback, 'a function');
    }
    const opts: LookupOptions =
      typeof optionsOrCallback === 'number'
        ? { family: optionsOrCallback }
        : typeof optionsOrCallback === 'object' && optionsOrCallback !== null
          ? optionsOrCallback
          : {};
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : (opts.family ?? 0);
    const name = normalizeName(hostname);
    const plan = resolver.plan;

    const addresses: LookupAddress[] = [];
    let served = false;
    const types =
      family === 4
        ? [RecordType.A]
        : family === 6
          ? [RecordType.AAAA]
          : opts.order === 'ipv6first'
            ? [RecordType.AAAA, RecordType.A]
            : [RecordType.A, RecordType.AAAA];
    for (const type of types) {
      const count = resolver.resolveInto(name, type, out);
      if (count !== ResolveCode.REFUSED) served = true;
      for (let k = 0; k < count; k++) {
        addresses.push({
          address: plan.answerValue[out[k] as number] as string,
          family: type === RecordType.A ? 4 : 6,
        });
      }
    }

    if (!served) {
      if (passthrough === false) {
        process.nextTick(callback, notFound(hostname));
        return;
      }
      passthrough(hostname, opts, callback);
      return;
    }
    if (addresses.length === 0) {
      process.nextTick(callback, notFound(hostname));
    } else if (opts.all === true) {
      process.nextTick(callback, null, addresses);
    } else {
      const first = addresses[0] as LookupAddress;
      process.nextTick(callback, null, first.address, first.family);
    }
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException & { hostname?: string } = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}
