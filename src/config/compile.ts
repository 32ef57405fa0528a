/**
 * Compiling a config document into a Plan (fixed-layout typed arrays the
 * resolver and aggregator scan), and the Plan's byte form: `encodePlan`
 * gives the same bytes for the same document, and `version` is their hash,
 * so a node that fetches an unchanged document every cycle can tell in one
 * string comparison that nothing changed.
 */
import { createHash } from 'node:crypto';
import { UrndError } from '../errors.js';
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
  packAnswerWords,
  packSetQuery,
  packSetWeights,
} from './plan.js';
import { findZone, formatIPv4, formatIPv6, normalizeName, parseIPv4, parseIPv6 } from './names.js';
import { parseListen, secondsToMs, validateConfig, type ConfigCheck, type ConfigDocument } from './schema.js';

/** Bytes an answer takes in `Plan.answerAddress`. */
const ADDRESS_BYTES = 16;

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

/** The lookup maps, derived from the arrays (so compile and decode build them the same way). */
function deriveLookups(
  setName: readonly string[],
  setType: Uint8Array,
  setZone: Uint16Array,
  zones: readonly ZoneSpec[],
  checks: readonly CheckSpec[],
): Pick<Plan, 'setByType' | 'names' | 'checkSlot'> {
  const byA = new Map<string, number>();
  const byAAAA = new Map<string, number>();
  const names = new Map<string, number>();
  zones.forEach((z, i) => names.set(z.origin, i));
  for (let s = 0; s < setName.length; s++) {
    const name = setName[s]!;
    (setType[s] === RecordType.A ? byA : byAAAA).set(name, s);
    // The owner and every name between it and its zone apex exist: an empty
    // non-terminal (b.demo.test above a.b.demo.test) answers NODATA, not NXDOMAIN (RFC 8020).
    const zone = setZone[s]!;
    const origin = zones[zone]?.origin ?? '';
    let n = name;
    while (n.length > origin.length) {
      if (!names.has(n)) names.set(n, zone);
      n = n.slice(n.indexOf('.') + 1);
    }
  }
  const checkSlot = new Map<string, number>();
  for (const c of checks) checkSlot.set(c.id, c.slot);
  return { setByType: [byA, byAAAA], names, checkSlot };
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
  const answerValue: string[] = [];
  const answerCheck: (string | null)[] = [];
  const answerSource = new Uint16Array(answerCount);

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
      const at = a * ADDRESS_BYTES;
      if (r.type === 'A') {
        answerAddress.set(parseIPv4(ans.value)!, at);
        answerValue.push(formatIPv4(answerAddress, at));
      } else {
        answerAddress.set(parseIPv6(ans.value)!, at);
        answerValue.push(formatIPv6(answerAddress, at));
      }
      answerCheck.push(check === undefined ? null : check.id);
      answerSource[a] = k;
      a++;
    }
  });

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
    answerValue,
    answerCheck,
    answerSource,
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

/** The fields `encodePlan` writes: a Plan less its version and what is derived from the rest. */
type EncodedPlan = Omit<Plan, 'version' | 'answerWord' | 'setQuery' | 'setWeightSum' | 'setZeroWeights' | 'setByType' | 'names' | 'checkSlot'>;

/**
 * A Plan from its encoded fields: the derived ones (answer words, lookup
 * maps) computed in one place for compile and decode alike, and the version
 * from the encoded bytes.
 */
function completePlan(stored: EncodedPlan, bytes: Uint8Array, knownVersion?: string): Plan {
  const version = knownVersion ?? createHash('sha256').update(bytes).digest('hex');
  const { cell, ...rest } = stored;
  return {
    cell,
    version,
    ...rest,
    answerWord: packAnswerWords(stored.answerSlot, stored.answerMask, stored.answerWeight),
    setQuery: packSetQuery(stored.setFirst, stored.setLength, stored.setFailMode, stored.setPolicy),
    ...packSetWeights(stored.setFirst, stored.setLength, stored.answerWeight),
    ...deriveLookups(stored.setName, stored.setType, stored.setZone, stored.zones, stored.checks),
  };
}

// ── byte form ───────────────────────────────────────────────────────────────

/** "URNDPLAN": the first 8 bytes of an encoded plan. */
const MAGIC = [0x55, 0x52, 0x4e, 0x44, 0x50, 0x4c, 0x41, 0x4e] as const;
/** Bumped whenever the layout below changes (2: frames, aggregator, checker, configInterval, dns.framesListen). */
const FORMAT = 2;
const PROBE_TYPES = ['tcp', 'http', 'https'] as const;
// Multi-byte numbers are little-endian in the encoding; on a little-endian
// host (every platform Node ships for) typed arrays are copied as bytes.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private at = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }
  str(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    this.room(4 + 3 * s.length);
    const start = this.at + 4;
    // Names, ids and addresses are ASCII: copy them without encodeInto's per-call cost.
    let written = 0;
    while (written < s.length) {
      const c = s.charCodeAt(written);
      if (c >= 0x80) break;
      this.buf[start + written] = c;
      written++;
    }
    if (written < s.length) written = utf8.encodeInto(s, this.buf.subarray(start)).written;
    this.view.setUint32(this.at, written, true);
    this.at = start + written;
  }
  optStr(s: string | null): void {
    this.bool(s !== null);
    if (s !== null) this.str(s);
  }
  endpoint(e: Endpoint): void {
    this.str(e.host);
    this.u32(e.port);
  }
  optEndpoint(e: Endpoint | null): void {
    this.bool(e !== null);
    if (e !== null) this.endpoint(e);
  }
  endpoints(list: readonly Endpoint[]): void {
    this.u32(list.length);
    for (const e of list) this.endpoint(e);
  }
  strs(list: readonly string[]): void {
    this.u32(list.length);
    for (const s of list) this.str(s);
  }
  u8s(a: Uint8Array): void {
    this.u32(a.length);
    this.room(a.length);
    this.buf.set(a, this.at);
    this.at += a.length;
  }
  private wide(a: Uint16Array | Uint32Array, width: 2 | 4): void {
    this.u32(a.length);
    this.room(a.length * width);
    if (HOST_LE) {
      this.buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.at);
    } else {
      for (let i = 0; i < a.length; i++) {
        if (width === 2) this.view.setUint16(this.at + 2 * i, a[i]!, true);
        else this.view.setUint32(this.at + 4 * i, a[i]!, true);
      }
    }
    this.at += a.length * width;
  }
  u16s(a: Uint16Array): void {
    this.wide(a, 2);
  }
  u32s(a: Uint32Array): void {
    this.wide(a, 4);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

/**
 * Deterministic bytes of everything in a plan except `version` (which is
 * their SHA-256) and the lookup maps (derived from the arrays). The same
 * document always gives the same bytes; `decodePlan` reverses it.
 */
export function encodePlan(plan: EncodedPlan): Uint8Array {
  const w = new Writer(256 + plan.cell.capacity * 6 + plan.answerCount * 48 + plan.setCount * 64 + plan.checks.length * 96);
  for (const b of MAGIC) w.u8(b);
  w.u32(FORMAT);
  w.str(plan.cell.name);
  w.u32(plan.cell.capacity);
  w.str(plan.dns.host);
  w.u32(plan.dns.port);
  w.u32(plan.dns.workers);
  w.u32(plan.dns.maxUdpSize);
  w.u32(plan.dns.tcpIdleTimeoutMs);
  w.u32(plan.dns.tcpMaxConnections);
  w.optEndpoint(plan.dns.framesListen);
  w.u32(plan.configIntervalMs);
  w.optStr(plan.frames.key);
  w.optStr(plan.frames.keyFile);
  w.optStr(plan.frames.keyEnv);
  w.optEndpoint(plan.aggregator.listen);
  w.u32(plan.aggregator.tickMs);
  w.u32(plan.aggregator.vantages);
  w.endpoints(plan.aggregator.subscribers);
  w.u32(plan.aggregator.warmupMs);
  w.endpoints(plan.checker.aggregators);

  w.u32(plan.setCount);
  w.strs(plan.setName);
  w.u8s(plan.setType);
  w.u8s(plan.setPolicy);
  w.u8s(plan.setFailMode);
  w.u32s(plan.setTtl);
  w.u32s(plan.setFirst);
  w.u8s(plan.setLength);
  w.u16s(plan.setZone);
  w.u32s(plan.setSource);

  w.u32(plan.answerCount);
  w.u32s(plan.answerSlot);
  w.u8s(plan.answerMask);
  w.u8s(plan.answerWeight);
  w.u8s(plan.answerRole);
  w.u8s(plan.answerAddress);
  w.strs(plan.answerValue);
  w.u32(plan.answerCheck.length);
  for (const c of plan.answerCheck) w.optStr(c);
  w.u16s(plan.answerSource);

  w.u32(plan.zones.length);
  for (const z of plan.zones) {
    w.str(z.origin);
    w.u32(z.ttl);
    w.str(z.soa.mname);
    w.str(z.soa.rname);
    w.u32(z.soa.serial);
    w.u32(z.soa.refresh);
    w.u32(z.soa.retry);
    w.u32(z.soa.expire);
    w.u32(z.soa.minimum);
    w.strs(z.ns);
  }

  w.u32(plan.checks.length);
  for (const c of plan.checks) {
    w.u8(c.kind === 'probe' ? SlotKind.PROBE : SlotKind.CALCULATED);
    w.str(c.id);
    w.u32(c.slot);
    if (c.kind === 'probe') {
      w.u8(PROBE_TYPES.indexOf(c.type));
      w.str(c.host);
      w.u32(c.port);
      w.str(c.path);
      w.u32(c.statusMin);
      w.u32(c.statusMax);
      w.optStr(c.bodyMatch);
      w.bool(c.verifyTls);
      w.u32(c.intervalMs);
      w.u32(c.timeoutMs);
      w.u32(c.failureThreshold);
    } else {
      w.strs(c.children);
      w.u32s(Uint32Array.from(c.childSlots));
      w.u32(c.healthyThreshold);
    }
    w.bool(c.inverted);
    w.bool(c.disabled);
  }

  w.u8s(plan.slotKind);
  w.u8s(plan.slotFlags);
  w.u32s(plan.slotThreshold);
  return w.finish();
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

class Reader {
  private readonly view: DataView;
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private take(n: number): number {
    if (this.at + n > this.bytes.length) throw new RangeError(`needs ${n} bytes at ${this.at}, has ${this.bytes.length - this.at}`);
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.bytes[this.take(1)]!;
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  bool(): boolean {
    return this.u8() !== 0;
  }
  str(): string {
    const n = this.u32();
    const at = this.take(n);
    return utf8Strict.decode(this.bytes.subarray(at, at + n));
  }
  optStr(): string | null {
    return this.bool() ? this.str() : null;
  }
  endpoint(): Endpoint {
    return { host: this.str(), port: this.u32() };
  }
  optEndpoint(): Endpoint | null {
    return this.bool() ? this.endpoint() : null;
  }
  endpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    for (let n = this.u32(); n > 0; n--) out.push(this.endpoint());
    return out;
  }
  strs(): string[] {
    const n = this.u32();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  u8s(expect?: number): Uint8Array {
    const n = this.count(expect);
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }
  u16s(expect?: number): Uint16Array {
    const n = this.count(expect);
    const at = this.take(2 * n);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getUint16(at + 2 * i, true);
    return out;
  }
  u32s(expect?: number): Uint32Array {
    const n = this.count(expect);
    const at = this.take(4 * n);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getUint32(at + 4 * i, true);
    return out;
  }
  private count(expect: number | undefined): number {
    const n = this.u32();
    if (expect !== undefined && n !== expect) throw new RangeError(`array of ${n} where ${expect} were expected`);
    return n;
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new RangeError(`${this.bytes.length - this.at} bytes left over`);
  }
}

/**
 * A plan from `encodePlan` bytes, lookup maps rebuilt and `version` the hash
 * of `bytes` (or `knownVersion`, when the sender hashed them already). Throws `UrndError('URND_ERR_ARGUMENT')` if the bytes are not a
 * whole plan of this format.
 */
export function decodePlan(bytes: Uint8Array, knownVersion?: string): Plan {
  try {
    const r = new Reader(bytes);
    for (const b of MAGIC) if (r.u8() !== b) throw new RangeError('not an encoded plan (bad magic)');
    const format = r.u32();
    if (format !== FORMAT) throw new RangeError(`plan format ${format}, expected ${FORMAT}`);
    const cell = { name: r.str(), capacity: r.u32() };
    const dns = { host: r.str(), port: r.u32(), workers: r.u32(), maxUdpSize: r.u32(), tcpIdleTimeoutMs: r.u32(), tcpMaxConnections: r.u32(), framesListen: r.optEndpoint() };
    const configIntervalMs = r.u32();
    const frames = { key: r.optStr(), keyFile: r.optStr(), keyEnv: r.optStr() };
    const aggregator = { listen: r.optEndpoint(), tickMs: r.u32(), vantages: r.u32(), subscribers: r.endpoints(), warmupMs: r.u32() };
    const checker = { aggregators: r.endpoints() };

    const setCount = r.u32();
    const setName = r.strs();
    if (setName.length !== setCount) throw new RangeError('set names do not match the set count');
    const setType = r.u8s(setCount);
    const setPolicy = r.u8s(setCount);
    const setFailMode = r.u8s(setCount);
    const setTtl = r.u32s(setCount);
    const setFirst = r.u32s(setCount);
    const setLength = r.u8s(setCount);
    const setZone = r.u16s(setCount);
    const setSource = r.u32s(setCount);

    const answerCount = r.u32();
    const answerSlot = r.u32s(answerCount);
    const answerMask = r.u8s(answerCount);
    const answerWeight = r.u8s(answerCount);
    const answerRole = r.u8s(answerCount);
    const answerAddress = r.u8s(answerCount * ADDRESS_BYTES);
    const answerValue = r.strs();
    const checkCount = r.u32();
    if (answerValue.length !== answerCount || checkCount !== answerCount) throw new RangeError('answer lists do not match the answer count');
    const answerCheck: (string | null)[] = [];
    for (let i = 0; i < answerCount; i++) answerCheck.push(r.optStr());
    const answerSource = r.u16s(answerCount);

    const zones: ZoneSpec[] = [];
    for (let i = r.u32(); i > 0; i--) {
      const origin = r.str();
      const ttl = r.u32();
      const soa = { mname: r.str(), rname: r.str(), serial: r.u32(), refresh: r.u32(), retry: r.u32(), expire: r.u32(), minimum: r.u32() };
      zones.push({ origin, ttl, soa, ns: r.strs() });
    }

    const checks: CheckSpec[] = [];
    for (let i = r.u32(); i > 0; i--) {
      const kind = r.u8();
      const id = r.str();
      const slot = r.u32();
      if (kind === SlotKind.PROBE) {
        const type = PROBE_TYPES[r.u8()];
        if (type === undefined) throw new RangeError(`check ${id}: unknown probe type`);
        const host = r.str();
        const port = r.u32();
        const path = r.str();
        const statusMin = r.u32();
        const statusMax = r.u32();
        const bodyMatch = r.optStr();
        const verifyTls = r.bool();
        const intervalMs = r.u32();
        const timeoutMs = r.u32();
        const failureThreshold = r.u32();
        const inverted = r.bool();
        const disabled = r.bool();
        checks.push({ kind: 'probe', id, slot, type, host, port, path, statusMin, statusMax, bodyMatch, verifyTls, intervalMs, timeoutMs, failureThreshold, inverted, disabled });
      } else if (kind === SlotKind.CALCULATED) {
        const children = r.strs();
        const childSlots = Array.from(r.u32s(children.length));
        const healthyThreshold = r.u32();
        const inverted = r.bool();
        const disabled = r.bool();
        checks.push({ kind: 'calculated', id, slot, children, childSlots, healthyThreshold, inverted, disabled });
      } else {
        throw new RangeError(`check ${id}: unknown kind ${kind}`);
      }
    }

    const slotKind = r.u8s(cell.capacity);
    const slotFlags = r.u8s(cell.capacity);
    const slotThreshold = r.u32s(cell.capacity);
    r.end();

    const body: EncodedPlan = {
      cell,
      dns,
      configIntervalMs,
      frames,
      aggregator,
      checker,
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
      answerValue,
      answerCheck,
      answerSource,
      zones,
      checks,
      slotKind,
      slotFlags,
      slotThreshold,
    };
    return completePlan(body, bytes, knownVersion);
  } catch (err) {
    throw new UrndError('URND_ERR_ARGUMENT', `cannot decode plan: ${(err as Error).message}`, { cause: err });
  }
}
