/**
 * The Plan's byte form, and the one description of its fields that encode,
 * decode and the plan comparisons (`sameProbeChecks`) are all driven by.
 * Adding a field to a spec is one edit here: the `Fields<T>` types make a
 * field missing from a description a compile error, and
 * test/config-compiles-byte-identical.test.ts changes every described field
 * in turn and expects the bytes, the decoded plan and the comparison to see it.
 *
 * Layout (format 2): "URNDPLAN", u32 format, then PLAN_FIELDS in order.
 * Numbers are u32 little-endian unless said; strings are a u32 byte length
 * and UTF-8; a list is a u32 count and its items; an optional value is a
 * bool byte and the value if present; a typed array is a u32 length and its
 * elements little-endian.
 */
import { createHash } from 'node:crypto';
import { UrndError } from '../errors.js';
import {
  RECORD_TYPE_NAMES,
  SlotKind,
  type SetsByType,
  type CalculatedCheckSpec,
  type CheckSpec,
  type Endpoint,
  type Plan,
  type ProbeCheckSpec,
  type ZoneSpec,
  packAnswerWords,
  packSetQuery,
  packSetWeights,
  packTrees,
  packIpLocations,
  type CidrCollectionSpec,
} from './plan.js';
import { cidrTableKey, reuseOrCompileCidrTable, type CidrCollection, type CidrTable } from '../resolve/cidr-table.js';

/** Bytes an answer takes in `Plan.answerAddress`. */
export const ADDRESS_BYTES = 16;

/**
 * A Plan from its encoded fields: the derived ones (answer words, lookup
 * maps) computed in one place for compile and decode alike, and the version
 * from the encoded bytes.
 */
export function completePlan(
  stored: EncodedPlan,
  bytes: Uint8Array,
  knownVersion?: string,
  previous?: Pick<Plan, 'cidrTables'> | null,
): Plan {
  const version = knownVersion ?? createHash('sha256').update(bytes).digest('hex');
  const { cell, ...rest } = stored;
  const trees = packTrees(stored.setFirst, stored.setLength, stored.answerAlias);
  return {
    cell,
    version,
    ...rest,
    answerWord: packAnswerWords(stored.answerSlot, stored.answerMask, stored.answerWeight),
    ...trees,
    setQuery: packSetQuery(
      stored.setFirst,
      stored.setLength,
      stored.setFailMode,
      stored.setPolicy,
      trees.setTreeLength,
    ),
    ...packSetWeights(stored.setFirst, stored.setLength, stored.answerWeight),
    cidrTables: compileTables(stored.cidrCollections, previous?.cidrTables),
    ...packIpLocations(
      stored.setFirst,
      stored.setLength,
      stored.setCidrCollection,
      stored.answerLocation,
      stored.cidrCollections,
    ),
    ...deriveLookups(stored.setName, stored.setType, stored.setZone, stored.zones, stored.checks),
  };
}

/**
 * One CidrTable per collection, its collection indices the locations'.
 * A table of the previous plan with the same blocks is kept (compiling a
 * large collection takes time; a config pass usually changes nothing).
 */
function compileTables(
  collections: readonly CidrCollectionSpec[],
  previous: readonly CidrTable[] | undefined,
): CidrTable[] {
  return collections.map((c, i) => cidrTableFor(c.locations, previous?.[i]));
}

/** Tables compiled lately in this thread, by key, up to RECENT_TABLE_BYTES in all (oldest dropped first). */
const recentTables = new Map<string, CidrTable>();
const RECENT_TABLE_BYTES = 64 * 1024 * 1024;

/**
 * The CIDR table of `collections`: `previous` or one compiled lately in
 * this thread if either has the same blocks, else a new one. Validation
 * compiles each collection to report bad blocks at their path, and
 * `completePlan` needs the same table: compiled once (10,000 collections
 * take ~0.4 s of CPU, src/resolve/README.md). Throws CidrTableError.
 */
export function cidrTableFor(collections: readonly CidrCollection[], previous?: CidrTable | null): CidrTable {
  const key = cidrTableKey(collections);
  if (previous != null && previous.key === key) return previous;
  const known = recentTables.get(key);
  if (known !== undefined) return known;
  const table = reuseOrCompileCidrTable(collections, null);
  recentTables.set(key, table);
  let bytes = 0;
  for (const t of recentTables.values()) bytes += t.bytes;
  for (const [k, t] of recentTables) {
    if (bytes <= RECENT_TABLE_BYTES || k === key) break;
    recentTables.delete(k);
    bytes -= t.bytes;
  }
  return table;
}

/** The lookup maps, derived from the arrays (so compile and decode build them the same way). */
function deriveLookups(
  setName: readonly string[],
  setType: Uint8Array,
  setZone: Uint16Array,
  zones: readonly ZoneSpec[],
  checks: readonly CheckSpec[],
): Pick<Plan, 'setByType' | 'names' | 'checkSlot'> {
  const byType = RECORD_TYPE_NAMES.map(() => new Map<string, number>());
  const names = new Map<string, number>();
  zones.forEach((z, i) => names.set(z.origin, i));
  for (let s = 0; s < setName.length; s++) {
    const name = setName[s]!;
    const sets = byType[setType[s]!];
    if (sets === undefined) throw new RangeError(`set ${s} has record type ${setType[s]}`);
    sets.set(name, s);
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
  return { setByType: byType as unknown as SetsByType, names, checkSlot };
}

// ── bytes ───────────────────────────────────────────────────────────────────

// Multi-byte numbers are little-endian in the encoding; on a little-endian
// host (every platform Node ships for) typed arrays are copied as bytes.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes out, growing as needed. */
export class Writer {
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

/** Bytes in, bounds-checked: a short or long buffer is a RangeError. */
export class Reader {
  private readonly view: DataView;
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private take(n: number): number {
    if (this.at + n > this.bytes.length)
      throw new RangeError(`needs ${n} bytes at ${this.at}, has ${this.bytes.length - this.at}`);
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
  /** A u32 count, which must equal `expect` when given. */
  count(expect: number | undefined): number {
    const n = this.u32();
    if (expect !== undefined && n !== expect) throw new RangeError(`array of ${n} where ${expect} were expected`);
    return n;
  }
  end(): void {
    if (this.at !== this.bytes.length) throw new RangeError(`${this.bytes.length - this.at} bytes left over`);
  }
}

// ── field codecs ────────────────────────────────────────────────────────────

/** How one field is written, read back and compared. `read` sees the fields of its object read so far (for lengths). */
export interface Codec<T> {
  write(w: Writer, value: T): void;
  read(r: Reader, before: Readonly<Record<string, unknown>>): T;
  same(a: T, b: T): boolean;
}

/** A codec for every field of T (but `kind`, which the check union writes): a field left out does not compile. */
export type Fields<T> = { readonly [K in Exclude<keyof T, 'kind'>]-?: Codec<T[K]> };

const eq = <T>(a: T, b: T): boolean => a === b;

const u32: Codec<number> = { write: (w, v) => w.u32(v), read: (r) => r.u32(), same: eq };
const bool: Codec<boolean> = { write: (w, v) => w.bool(v), read: (r) => r.bool(), same: eq };
const str: Codec<string> = { write: (w, v) => w.str(v), read: (r) => r.str(), same: eq };

function optional<T>(c: Codec<T>): Codec<T | null> {
  return {
    write: (w, v) => {
      w.bool(v !== null);
      if (v !== null) c.write(w, v);
    },
    read: (r, before) => (r.bool() ? c.read(r, before) : null),
    same: (a, b) => (a === null || b === null ? a === b : c.same(a, b)),
  };
}

/** A list; `expect` gives the length it must have, from the fields read before it. */
function list<T>(c: Codec<T>, expect?: (before: Readonly<Record<string, unknown>>) => number): Codec<readonly T[]> {
  return {
    write: (w, v) => {
      w.u32(v.length);
      for (const item of v) c.write(w, item);
    },
    read: (r, before) => {
      const n = r.count(expect?.(before));
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(c.read(r, before));
      return out;
    },
    same: (a, b) => a.length === b.length && a.every((x, i) => c.same(x, b[i] as T)),
  };
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type Expect = (before: Readonly<Record<string, unknown>>) => number;
const u8s = (expect?: Expect): Codec<Uint8Array> => ({
  write: (w, v) => w.u8s(v),
  read: (r, b) => r.u8s(expect?.(b)),
  same: sameArray,
});
const u16s = (expect?: Expect): Codec<Uint16Array> => ({
  write: (w, v) => w.u16s(v),
  read: (r, b) => r.u16s(expect?.(b)),
  same: sameArray,
});
const u32s = (expect?: Expect): Codec<Uint32Array> => ({
  write: (w, v) => w.u32s(v),
  read: (r, b) => r.u32s(expect?.(b)),
  same: sameArray,
});
/** Whole numbers kept as a plain array, written as a u32 array. */
const u32List = (expect?: Expect): Codec<readonly number[]> => ({
  write: (w, v) => w.u32s(Uint32Array.from(v)),
  read: (r, b) => Array.from(r.u32s(expect?.(b))),
  same: sameArray,
});

/** One of `names`, written as its index (u8). */
function oneOf<T extends string>(names: readonly T[]): Codec<T> {
  return {
    write: (w, v) => w.u8(names.indexOf(v)),
    read: (r) => {
      const i = r.u8();
      const v = names[i];
      if (v === undefined) throw new RangeError(`${i} is not one of ${names.join(', ')}`);
      return v;
    },
    same: eq,
  };
}

/** An object whose fields are written in the order `fields` lists them. */
export function struct<T>(fields: Fields<T>, kind?: Partial<T>): Codec<T> {
  const entries = Object.entries(fields) as [string, Codec<unknown>][];
  return {
    write: (w, v) => {
      const o = v as Record<string, unknown>;
      for (const [name, c] of entries) c.write(w, o[name]);
    },
    read: (r) => {
      const o: Record<string, unknown> = { ...kind };
      for (const [name, c] of entries) o[name] = c.read(r, o);
      return o as T;
    },
    same: (a, b) => {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      for (const [name, c] of entries) if (!c.same(x[name], y[name])) return false;
      return true;
    },
  };
}

// ── the Plan's fields ───────────────────────────────────────────────────────

const endpoint = struct<Endpoint>({ host: str, port: u32 });

export const PROBE_TYPES = ['tcp', 'http', 'https'] as const;

/** A probe check's fields, in byte order; `sameProbeChecks` compares exactly these. */
export const PROBE_CHECK_FIELDS: Fields<ProbeCheckSpec> = {
  id: str,
  slot: u32,
  type: oneOf(PROBE_TYPES),
  host: str,
  port: u32,
  path: str,
  statusMin: u32,
  statusMax: u32,
  bodyMatch: optional(str),
  verifyTls: bool,
  intervalMs: u32,
  timeoutMs: u32,
  failureThreshold: u32,
  inverted: bool,
  disabled: bool,
};

export const CALCULATED_CHECK_FIELDS: Fields<CalculatedCheckSpec> = {
  id: str,
  slot: u32,
  children: list(str),
  childSlots: u32List((b) => (b['children'] as readonly string[]).length),
  healthyThreshold: u32,
  inverted: bool,
  disabled: bool,
};

export const probeCheck = struct<ProbeCheckSpec>(PROBE_CHECK_FIELDS, { kind: 'probe' });
const calculatedCheck = struct<CalculatedCheckSpec>(CALCULATED_CHECK_FIELDS, { kind: 'calculated' });

/** A check: its kind (a SlotKind byte), then that kind's fields. */
const check: Codec<CheckSpec> = {
  write: (w, c) => {
    if (c.kind === 'probe') {
      w.u8(SlotKind.PROBE);
      probeCheck.write(w, c);
    } else {
      w.u8(SlotKind.CALCULATED);
      calculatedCheck.write(w, c);
    }
  },
  read: (r, before) => {
    const kind = r.u8();
    if (kind === SlotKind.PROBE) return probeCheck.read(r, before);
    if (kind === SlotKind.CALCULATED) return calculatedCheck.read(r, before);
    throw new RangeError(`unknown check kind ${kind}`);
  },
  same: (a, b) =>
    a.kind === 'probe'
      ? b.kind === 'probe' && probeCheck.same(a, b)
      : b.kind === 'calculated' && calculatedCheck.same(a, b),
};

const zone = struct<ZoneSpec>({
  origin: str,
  ttl: u32,
  soa: struct<ZoneSpec['soa']>({
    mname: str,
    rname: str,
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
  }),
  ns: list(str),
});

/** The fields `encodePlan` writes: a Plan less its version and what is derived from the rest. */
export type EncodedPlan = Omit<
  Plan,
  | 'version'
  | 'answerWord'
  | 'setQuery'
  | 'setWeightSum'
  | 'setZeroWeights'
  | 'setByType'
  | 'names'
  | 'checkSlot'
  | 'treeNodes'
  | 'setTreeFirst'
  | 'setTreeLength'
  | 'cidrTables'
  | 'ipLocationAnswer'
  | 'setIpFirst'
>;

const sets: Expect = (b) => b['setCount'] as number;
const answers: Expect = (b) => b['answerCount'] as number;
const slots: Expect = (b) => (b['cell'] as Plan['cell']).capacity;

/** Every encoded field of a plan, in byte order. */
export const PLAN_FIELDS: Fields<EncodedPlan> = {
  cell: struct<Plan['cell']>({ name: str, capacity: u32 }),
  dns: struct<Plan['dns']>({
    host: str,
    port: u32,
    workers: u32,
    maxUdpSize: u32,
    tcpIdleTimeoutMs: u32,
    tcpMaxConnections: u32,
    maxQueueMs: u32,
    framesListen: optional(endpoint),
  }),
  configIntervalMs: u32,
  frames: struct<Plan['frames']>({ key: optional(str), keyFile: optional(str), keyEnv: optional(str) }),
  aggregator: struct<Plan['aggregator']>({
    listen: optional(endpoint),
    tickMs: u32,
    vantages: u32,
    subscribers: list(endpoint),
    warmupMs: u32,
  }),
  checker: struct<Plan['checker']>({ aggregators: list(endpoint) }),
  admin: struct<Plan['admin']>({ listen: optional(str), checkSeries: u32 }),
  setCount: u32,
  setName: list(str, sets),
  setType: u8s(sets),
  setPolicy: u8s(sets),
  setFailMode: u8s(sets),
  setTtl: u32s(sets),
  setFirst: u32s(sets),
  setLength: u8s(sets),
  setZone: u16s(sets),
  setSource: u32s(sets),
  answerCount: u32,
  answerSlot: u32s(answers),
  answerMask: u8s(answers),
  answerWeight: u8s(answers),
  answerRole: u8s(answers),
  answerAddress: u8s((b) => (b['answerCount'] as number) * ADDRESS_BYTES),
  answerRdata: u8s(),
  answerRdataStart: u32s((b) => (b['answerCount'] as number) + 1),
  answerAlias: u32s(answers),
  answerEth: u8s(answers),
  answerValue: list(str, answers),
  answerCheck: list(optional(str), answers),
  answerSource: u16s(answers),
  cidrCollections: list(
    struct<CidrCollectionSpec>({
      name: str,
      locations: list(struct<CidrCollectionSpec['locations'][number]>({ name: str, cidrs: list(str) })),
    }),
  ),
  setCidrCollection: u32s(sets),
  answerLocation: u32s(answers),
  zones: list(zone),
  checks: list(check),
  slotKind: u8s(slots),
  slotFlags: u8s(slots),
  slotThreshold: u32s(slots),
};

const planBody = struct<EncodedPlan>(PLAN_FIELDS);

// ── encode and decode ───────────────────────────────────────────────────────

/** "URNDPLAN": the first 8 bytes of an encoded plan. */
const MAGIC = [0x55, 0x52, 0x4e, 0x44, 0x50, 0x4c, 0x41, 0x4e] as const;
/** Bumped whenever the layout changes (2: frames, aggregator, checker, configInterval, dns.framesListen; 3: every record type's RDATA, alias answers; 4: admin; 5: CIDR collections, ip sets; 6: admin.checkSeries; 7: dns.maxQueue). */
const FORMAT = 7;

/**
 * Deterministic bytes of everything in a plan except `version` (which is
 * their SHA-256) and what is derived from the rest. The same document always
 * gives the same bytes; `decodePlan` reverses it.
 */
export function encodePlan(plan: EncodedPlan): Uint8Array {
  const w = new Writer(
    256 + plan.cell.capacity * 6 + plan.answerCount * 48 + plan.setCount * 64 + plan.checks.length * 96,
  );
  for (const b of MAGIC) w.u8(b);
  w.u32(FORMAT);
  planBody.write(w, plan);
  return w.finish();
}

/**
 * A plan from `encodePlan` bytes, lookup maps rebuilt and `version` the hash
 * of `bytes` (or `knownVersion`, when the sender hashed them already). Throws
 * `UrndError('URND_ERR_ARGUMENT')` if the bytes are not a whole plan of this
 * format. `previous`: a plan whose CIDR tables may be kept where the
 * collections are unchanged.
 */
export function decodePlan(bytes: Uint8Array, knownVersion?: string, previous?: Pick<Plan, 'cidrTables'> | null): Plan {
  try {
    const r = new Reader(bytes);
    for (const b of MAGIC) if (r.u8() !== b) throw new RangeError('not an encoded plan (bad magic)');
    const format = r.u32();
    if (format !== FORMAT) throw new RangeError(`plan format ${format}, expected ${FORMAT}`);
    const body = planBody.read(r, {});
    r.end();
    return completePlan(body, bytes, knownVersion, previous);
  } catch (err) {
    throw new UrndError('URND_ERR_ARGUMENT', `cannot decode plan: ${(err as Error).message}`, { cause: err });
  }
}

/** True if both probe checks have the same value in every described field. */
export function sameProbeCheck(a: ProbeCheckSpec, b: ProbeCheckSpec): boolean {
  return probeCheck.same(a, b);
}
