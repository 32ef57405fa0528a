import dns from 'node:dns';
import { RecordType } from '../config/plan.js';
import { RESOLVE_BUFFER_LENGTH, ResolveCode, type Resolver } from './resolver.js';
import { normalizeName } from './names.js';
import { badArgument } from './arguments.js';
import { setClientText } from './client-address.js';
import { MatchKind, matchName } from './match.js';

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
   * answered by urnd (wildcards and CNAMEs followed as the DNS front
   * follows them); only a CNAME target outside our zones is passed on.
   */
  passthrough?: LookupFunction | false;
  /**
   * The address `policy: ip` sets route this process by (e.g. its own
   * public address), as if it were a DNS client there. Default: none, so
   * ip sets answer their default location.
   */
  client?: string;
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
  const client = options.client ?? null;
  // Checked once here: a bad address is the caller's mistake, not a lookup's.
  setClientText(resolver.client, client);

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
    setClientText(resolver.client, client);

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
    // A CNAME inside our zones is followed here; one leading outside them is the passthrough's to answer.
    const chain = followName(resolver, name, out);
    if (chain.outside !== null && passthrough !== false) {
      passthrough(chain.outside, opts, callback);
      return;
    }
    for (const type of types) {
      const count = chain.node === null ? chain.code : resolveNode(resolver, chain.node, type, out);
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

/** Most CNAMEs a lookup follows, as the DNS front does. */
const MAX_CHAIN = 8;

/**
 * Where `name` leads in our zones, following wildcards and CNAMEs as the
 * DNS front does: the node whose address sets answer (null with a
 * ResolveCode when none does), or the first name outside our zones a CNAME
 * points at. A CNAME's target is chosen by health like any answer.
 */
function followName(
  resolver: Resolver,
  name: string,
  cnameOut: Int32Array,
): { node: string | null; code: number; outside: string | null } {
  const plan = resolver.plan;
  let n = name;
  for (let hop = 0; hop <= MAX_CHAIN; hop++) {
    const m = matchName(plan, n);
    if (m.kind === MatchKind.REFUSED)
      return hop === 0 ? { node: null, code: ResolveCode.REFUSED, outside: null } : { node: null, code: 0, outside: n };
    if (m.kind === MatchKind.NXDOMAIN) return { node: null, code: ResolveCode.NXDOMAIN, outside: null };
    // A delegated name is another server's to answer.
    if (m.kind === MatchKind.REFERRAL) return { node: null, code: ResolveCode.NODATA, outside: null };
    const node = m.node as string;
    const cname = plan.setByType[RecordType.CNAME].get(node);
    if (cname === undefined || hop === MAX_CHAIN) return { node, code: 0, outside: null };
    if (resolver.resolveSetInto(cname, cnameOut) === 0) return { node: null, code: 0, outside: null };
    n = (plan.answerValue[cnameOut[0] as number] as string).slice(0, -1);
  }
  return { node: null, code: 0, outside: null };
}

/** The addresses of `type` at `node`, or NODATA. */
function resolveNode(resolver: Resolver, node: string, type: RecordType, out: Int32Array): number {
  const set = resolver.plan.setByType[type].get(node);
  return set === undefined ? ResolveCode.NODATA : resolver.resolveSetInto(set, out);
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException & { hostname?: string } = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}
