/**
 * Compiling a config document into a Plan (fixed-layout typed arrays the
 * resolver and aggregator scan). The byte form is plan-codec.ts: the same
 * document gives the same bytes, and `version` is their hash, so a node that
 * fetches an unchanged document every cycle can tell in one string
 * comparison that nothing changed.
 */
import {
  FAIL_MODE_NAMES,
  HealthMask,
  POLICY_NAMES,
  RecordType,
  Role,
  SlotFlag,
  SlotKind,
  type CalculatedCheckSpec,
  type CheckSpec,
  type Endpoint,
  type Plan,
  type ProbeCheckSpec,
  type ZoneSpec,
} from './plan.js';
import { ADDRESS_BYTES, completePlan, encodePlan, type EncodedPlan } from './plan-codec.js';
import { findZone, formatIPv6, normalizeName, parseIPv6 } from './names.js';
import { parseRdata } from './rdata.js';
import { parseListen, secondsToMs, validateConfig, type ConfigCheck, type ConfigDocument } from './schema.js';

/** HealthMask of an answer guarded by a check with these flags (or by none). */
function maskOf(check: { readonly inverted: boolean; readonly disabled: boolean } | undefined): number {
  if (check === undefined) return HealthMask.ALWAYS;
  if (check.disabled) return check.inverted ? HealthMask.NEVER : HealthMask.ALWAYS;
  return check.inverted ? HealthMask.INVERTED : HealthMask.CHECKED;
}

function flagsOf(check: { readonly inverted: boolean; readonly disabled: boolean }): number {
  return (check.inverted ? SlotFlag.INVERTED : 0) | (check.disabled ? SlotFlag.DISABLED : 0);
}

/** Probe targets: IPv6 literals in canonical form, names in lower case. */
function canonicalHost(host: string): string {
  const v6 = parseIPv6(host);
  return v6 !== null ? formatIPv6(v6) : host.toLowerCase();
}

function checkSpec(c: ConfigCheck, checkSlot: ReadonlyMap<string, number>): CheckSpec {
  if (c.type === 'calculated') {
    const spec: CalculatedCheckSpec = {
      kind: 'calculated',
      id: c.id,
      slot: c.slot,
      children: [...c.children],
      childSlots: c.children.map((id) => checkSlot.get(id) ?? 0),
      healthyThreshold: c.healthyThreshold,
      inverted: c.inverted,
      disabled: c.disabled,
    };
    return spec;
  }
  const web = c.type === 'tcp' ? undefined : c;
  const spec: ProbeCheckSpec = {
    kind: 'probe',
    id: c.id,
    slot: c.slot,
    type: c.type,
    host: canonicalHost(c.host),
    port: c.port,
    path: web?.path ?? '/',
    statusMin: web?.status[0] ?? 200,
    statusMax: web?.status[1] ?? 399,
    bodyMatch: web?.bodyMatch ?? null,
    verifyTls: c.type === 'https' ? c.verifyTls : false,
    intervalMs: secondsToMs(c.interval),
    timeoutMs: secondsToMs(c.timeout),
    failureThreshold: c.failureThreshold,
    inverted: c.inverted,
    disabled: c.disabled,
  };
  return spec;
}

/**
 * Compiles a document into a Plan. A document from `validateConfig`,
 * `parseConfigText` or `loadConfigFile` is used as is; anything else is
 * validated first (throwing `ConfigError` with every problem).
 */
export function compileConfig(doc: ConfigDocument | unknown): Plan {
  const body = compileBody(doc);
  return completePlan(body, encodePlan(body));
}

/** `encodePlan` bytes of a compiled document, without building the lookups only a Plan's reader needs (the config worker's output). */
export function compilePlanBytes(doc: ConfigDocument | unknown): Uint8Array {
  return encodePlan(compileBody(doc));
}

function compileBody(doc: ConfigDocument | unknown): EncodedPlan {
  const d = validateConfig(doc);
  const capacity = d.cell.capacity;

  const origins = d.zones.map((z) => normalizeName(z.origin));
  const zones: ZoneSpec[] = d.zones.map((z, i) => ({
    origin: origins[i]!,
    ttl: z.ttl,
    soa: {
      mname: normalizeName(z.soa.mname),
      rname: normalizeName(z.soa.rname),
      serial: z.soa.serial,
      refresh: z.soa.refresh,
      retry: z.soa.retry,
      expire: z.soa.expire,
      minimum: z.soa.minimum,
    },
    ns: z.ns.map(normalizeName),
  }));

  // Checks and the per-slot arrays the aggregator scans.
  const byId = new Map<string, ConfigCheck>();
  const slotOf = new Map<string, number>();
  for (const c of d.checks) {
    byId.set(c.id, c);
    slotOf.set(c.id, c.slot);
  }
  const checks = d.checks.map((c) => checkSpec(c, slotOf));
  const slotKind = new Uint8Array(capacity);
  const slotFlags = new Uint8Array(capacity);
  const slotThreshold = new Uint32Array(capacity);
  for (const c of d.checks) {
    slotKind[c.slot] = c.type === 'calculated' ? SlotKind.CALCULATED : SlotKind.PROBE;
    slotFlags[c.slot] = flagsOf(c);
    slotThreshold[c.slot] = c.type === 'calculated' ? c.healthyThreshold : c.failureThreshold;
  }

  // Record sets and their answers, each set's answers consecutive.
  const setCount = d.records.length;
  let answerCount = 0;
  for (const r of d.records) answerCount += r.answers.length;
  const setName: string[] = [];
  const setType = new Uint8Array(setCount);
  const setPolicy = new Uint8Array(setCount);
  const setFailMode = new Uint8Array(setCount);
  const setTtl = new Uint32Array(setCount);
  const setFirst = new Uint32Array(setCount);
  const setLength = new Uint8Array(setCount);
  const setZone = new Uint16Array(setCount);
  const setSource = new Uint32Array(setCount);
  const answerSlot = new Uint32Array(answerCount);
  const answerMask = new Uint8Array(answerCount);
  const answerWeight = new Uint8Array(answerCount);
  const answerRole = new Uint8Array(answerCount);
  const answerAddress = new Uint8Array(answerCount * ADDRESS_BYTES);
  const answerAlias = new Uint32Array(answerCount);
  const answerEth = new Uint8Array(answerCount);
  // Alias targets by name and type (validated: each exists).
  const setOf = new Map<string, number>();
  d.records.forEach((r, s) => setOf.set(`${normalizeName(r.name)} ${r.type}`, s));
  const answerValue: string[] = [];
  const rdataParts: Uint8Array[] = [];
  const answerRdataStart = new Uint32Array(answerCount + 1);
  const answerCheck: (string | null)[] = [];
  const answerSource = new Uint16Array(answerCount);
  // IP-based sets: collection and location by index (validated: each exists).
  const cidrCollections = d.cidrCollections.map((c) => ({
    name: c.name,
    locations: c.locations.map((l) => ({ name: l.name, cidrs: [...l.cidrs] })),
  }));
  const collectionIndex = new Map(d.cidrCollections.map((c, i) => [c.name, i] as const));
  const setCidrCollection = new Uint32Array(setCount);
  const answerLocation = new Uint32Array(answerCount);

  let a = 0;
  d.records.forEach((r, s) => {
    const name = normalizeName(r.name);
    setName.push(name);
    setType[s] = RecordType[r.type];
    setPolicy[s] = POLICY_NAMES.indexOf(r.policy);
    setFailMode[s] = FAIL_MODE_NAMES.indexOf(r.whenAllUnhealthy ?? 'answer-all');
    setTtl[s] = r.ttl;
    setFirst[s] = a;
    setLength[s] = r.answers.length;
    setZone[s] = findZone(name, origins);
    setSource[s] = s;
    const collection = r.policy === 'ip' ? (collectionIndex.get(r.cidrCollection ?? '') ?? -1) : -1;
    setCidrCollection[s] = collection + 1;
    const locationNames = d.cidrCollections[collection]?.locations.map((l) => l.name) ?? [];

    const failover = r.policy === 'failover';
    // Failover sets hold one primary and at most one secondary (validated); the
    // plan lists the primary first, which the resolver relies on.
    const swap = failover && r.answers[0]!.role !== 'primary';
    for (let j = 0; j < r.answers.length; j++) {
      const k = swap ? 1 - j : j;
      const ans = r.answers[k]!;
      const check = ans.check === undefined ? undefined : byId.get(ans.check);
      answerSlot[a] = check?.slot ?? 0;
      answerMask[a] = maskOf(check);
      // Outside weighted sets every answer weighs the same.
      answerWeight[a] = r.policy === 'weighted' ? (ans.weight ?? 1) : 1;
      answerRole[a] = !failover ? Role.NONE : ans.role === 'primary' ? Role.PRIMARY : Role.SECONDARY;
      const origin = origins[setZone[s] as number] ?? null;
      // Validated already: the value or alias parses, and an alias's target exists.
      let aliasText = '';
      if (ans.alias !== undefined) {
        const target = normalizeName(ans.alias);
        answerAlias[a] = (setOf.get(`${target} ${r.type}`) ?? -1) + 1;
        answerEth[a] = ans.evaluateTargetHealth === true ? 1 : 0;
        aliasText = `alias ${target}.`;
      }
      // An alias answer has no RDATA of its own: its target's answers are what a query gets.
      const rdata =
        ans.alias !== undefined
          ? { bytes: new Uint8Array(0), text: aliasText }
          : parseRdata(r.type, ans.value ?? '', origin);
      if (typeof rdata === 'string') throw new Error(`records[${s}].answers[${k}]: ${rdata}`);
      if (r.type === 'A' || r.type === 'AAAA') answerAddress.set(rdata.bytes, a * ADDRESS_BYTES);
      answerValue.push(rdata.text);
      rdataParts.push(rdata.bytes);
      answerRdataStart[a + 1] = (answerRdataStart[a] as number) + rdata.bytes.length;
      answerCheck.push(check === undefined ? null : check.id);
      answerSource[a] = k;
      // 1 + the location's index; 0 for the default location '*' (and outside ip sets).
      answerLocation[a] = ans.location === undefined ? 0 : locationNames.indexOf(ans.location) + 1;
      a++;
    }
  });

  const answerRdata = new Uint8Array(answerRdataStart[answerCount] as number);
  rdataParts.forEach((part, i) => answerRdata.set(part, answerRdataStart[i] as number));

  const listen = endpoint(d.dns.listen);
  const body: EncodedPlan = {
    cell: { name: d.cell.name, capacity },
    dns: {
      host: listen.host,
      port: listen.port,
      workers: d.dns.workers,
      maxUdpSize: d.dns.maxUdpSize,
      tcpIdleTimeoutMs: secondsToMs(d.dns.tcpIdleTimeout),
      tcpMaxConnections: d.dns.tcpMaxConnections,
      maxQueueMs: secondsToMs(d.dns.maxQueue),
      framesListen: d.dns.framesListen === undefined ? null : endpoint(d.dns.framesListen),
    },
    configIntervalMs: secondsToMs(d.configInterval),
    frames: { key: d.frames.key ?? null, keyFile: d.frames.keyFile ?? null, keyEnv: d.frames.keyEnv ?? null },
    aggregator: {
      listen: d.aggregator.listen === undefined ? null : endpoint(d.aggregator.listen),
      tickMs: secondsToMs(d.aggregator.tick),
      vantages: d.aggregator.vantages,
      subscribers: d.aggregator.subscribers.map(endpoint),
      warmupMs: secondsToMs(d.aggregator.warmup),
    },
    checker: { aggregators: d.checker.aggregators.map(endpoint) },
    admin: { listen: d.admin.listen ?? null, checkSeries: d.admin.checkSeries },
    setCount,
    setName,
    setType,
    setPolicy,
    setFailMode,
    setTtl,
    setFirst,
    setLength,
    setZone,
    setSource,
    answerCount,
    answerSlot,
    answerMask,
    answerWeight,
    answerRole,
    answerAddress,
    answerRdata,
    answerRdataStart,
    answerAlias,
    answerEth,
    answerValue,
    answerCheck,
    answerSource,
    cidrCollections,
    setCidrCollection,
    answerLocation,
    zones,
    checks,
    slotKind,
    slotFlags,
    slotThreshold,
  };
  return body;
}

/** A validated `host:port` → its parts (IPv6 hosts in canonical form, no brackets). */
function endpoint(text: string): Endpoint {
  const e = parseListen(text) as Endpoint;
  return { host: canonicalHost(e.host), port: e.port };
}

export { encodePlan, decodePlan } from './plan-codec.js';
