/**
 * The compiled form of a config document: what the resolver and aggregator
 * scan. Every per-answer and per-slot fact lives in a fixed-layout typed
 * array, so a query reads numbers, never objects; `encodePlan` turns a plan
 * into bytes, and the same document always gives the same bytes.
 */

import type { CidrTable } from '../resolve/cidr-table.js';

/** Record types urnd answers from record sets, as indices into `Plan.setByType`. */
export const RecordType = {
  A: 0,
  AAAA: 1,
  CNAME: 2,
  TXT: 3,
  MX: 4,
  SRV: 5,
  CAA: 6,
  PTR: 7,
  NS: 8,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];
export const RECORD_TYPE_NAMES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV', 'CAA', 'PTR', 'NS'] as const;
export type RecordTypeName = (typeof RECORD_TYPE_NAMES)[number];
/** The DNS TYPE code of each RecordType, in the same order. */
export const RECORD_TYPE_CODES = [1, 28, 5, 16, 15, 33, 257, 12, 2] as const;
/** Number of record types: the length of `Plan.setByType`. */
export const RECORD_TYPE_COUNT = RECORD_TYPE_NAMES.length;

type NameToSet = ReadonlyMap<string, number>;
/** One owner-name → set map per RecordType, in RecordType order. */
export type SetsByType = readonly [
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
  NameToSet,
];

/** Routing policies, as stored in `Plan.setPolicy`. */
export const Policy = {
  SIMPLE: 0,
  WEIGHTED: 1,
  FAILOVER: 2,
  MULTIVALUE: 3,
  /** IP-based routing: the answer of the client's CIDR location, else the default (`*`). */
  IP: 4,
} as const;
export type Policy = (typeof Policy)[keyof typeof Policy];
export const POLICY_NAMES = ['simple', 'weighted', 'failover', 'multivalue', 'ip'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** What a record set answers when every candidate is unhealthy (`Plan.setFailMode`). */
export const FailMode = {
  /** Route 53's behaviour: answer as if every candidate were healthy. */
  ANSWER_ALL: 0,
  /** Fail closed: an empty answer. */
  ANSWER_NONE: 1,
} as const;
export type FailMode = (typeof FailMode)[keyof typeof FailMode];
export const FAIL_MODE_NAMES = ['answer-all', 'answer-none'] as const;

/** Failover roles (`Plan.answerRole`); other policies use NONE. */
export const Role = {
  NONE: 0,
  PRIMARY: 1,
  SECONDARY: 2,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Kinds of slot (`Plan.slotKind`). */
export const SlotKind = {
  /** No check owns the slot: a dummy, still scanned and shipped. */
  UNUSED: 0,
  /** A probed check (tcp, http, https). */
  PROBE: 1,
  /** A calculated check over other checks' statuses. */
  CALCULATED: 2,
} as const;
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

/** Bits of `Plan.slotFlags`. */
export const SlotFlag = {
  INVERTED: 1,
  DISABLED: 2,
} as const;

/** Most aliases from a tree's root to a leaf (failover → weighted → … → values). */
export const MAX_ALIAS_DEPTH = 4;
/** Most record sets one alias tree holds: a query on its root evaluates each of them. */
export const MAX_TREE_SETS = 64;

/** Most answers one record set may have. */
export const MAX_ANSWERS_PER_SET = 128;
/** Most answers a multivalue record set returns. */
export const MULTIVALUE_MAX_RETURNED = 8;

/**
 * `Plan.answerMask` bits: bit s is set when a candidate whose check's status
 * byte is s counts as healthy. One shift and mask then answers "eligible?"
 * for any candidate, with no branch on what kind of check it has.
 */
export const HealthMask = {
  /** No check, or a disabled check: healthy whatever the byte says. */
  ALWAYS: 0b111,
  /** A plain check: healthy while unknown (no result yet) or healthy. */
  CHECKED: 0b011,
  /** An inverted check: the aggregator wrote the inverted status; unknown counts unhealthy. */
  INVERTED: 0b010,
  /** Disabled and inverted: never healthy (how Route 53 users force traffic away). */
  NEVER: 0b000,
} as const;

/** A probe check, normalised: durations in ms, defaults filled in. */
export interface ProbeCheckSpec {
  readonly kind: 'probe';
  readonly id: string;
  readonly slot: number;
  readonly type: 'tcp' | 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** HTTP(S) only: request path, `/` by default. */
  readonly path: string;
  /** HTTP(S) only: inclusive range of statuses that count as success. */
  readonly statusMin: number;
  readonly statusMax: number;
  /** HTTP(S) only: a string that must appear in the first 5,120 bytes of the body, or null. */
  readonly bodyMatch: string | null;
  /** HTTPS only: verify the certificate (off by default, as Route 53). */
  readonly verifyTls: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly inverted: boolean;
  readonly disabled: boolean;
}

/** A calculated check: healthy if at least `healthyThreshold` children are healthy. */
export interface CalculatedCheckSpec {
  readonly kind: 'calculated';
  readonly id: string;
  readonly slot: number;
  readonly children: readonly string[];
  /** Slots of `children`, in the same order. */
  readonly childSlots: readonly number[];
  readonly healthyThreshold: number;
  readonly inverted: boolean;
  readonly disabled: boolean;
}

export type CheckSpec = ProbeCheckSpec | CalculatedCheckSpec;

/** SOA data of a zone. */
export interface SoaSpec {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** A zone we are authoritative for. */
export interface ZoneSpec {
  /** Lower case, no trailing dot. */
  readonly origin: string;
  readonly ttl: number;
  readonly soa: SoaSpec;
  readonly ns: readonly string[];
}

/** An IP address and port (`host:port` in the document; IPv6 without brackets here). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The DNS front end's settings (the document's `dns` section). */
export interface DnsSpec {
  /** Address to answer on (UDP and TCP), an IP literal. */
  readonly host: string;
  readonly port: number;
  /** Resolver worker threads owning DNS sockets. */
  readonly workers: number;
  /** Largest UDP response sent to an EDNS client; clients without EDNS get 512. */
  readonly maxUdpSize: number;
  /** A TCP connection idle this long is closed, ms. */
  readonly tcpIdleTimeoutMs: number;
  /** TCP connections open at once per worker; more are refused. */
  readonly tcpMaxConnections: number;
  /**
   * `dns.maxQueue`: the longest a UDP query should wait in the receive
   * queue, ms. The receive buffer holds this long of queries at the answer
   * rate measured under load; the kernel drops the rest. 0: a fixed
   * buffer. Default 5.
   */
  readonly maxQueueMs: number;
  /** Where `urnd dns` listens for status frames from the aggregators; null if the document does not say (then `--frames-listen`). */
  readonly framesListen: Endpoint | null;
}

/**
 * Where the shared HMAC-SHA256 key of the cell's frames comes from (the
 * document's `frames` section): at most one of the three; all null means
 * frames carry a CRC32C only. The key itself is read by each node on every
 * config pass (frame-key.ts), so a `keyFile` or `keyEnv` keeps the
 * secret out of the document.
 */
export interface FramesSpec {
  /** The key inline, lower-case hex (discouraged: the document is then a secret). */
  readonly key: string | null;
  /** Path of a file holding the key as hex. */
  readonly keyFile: string | null;
  /** Name of an environment variable holding the key as hex. */
  readonly keyEnv: string | null;
}

/** The aggregator role (the document's `aggregator` section). */
export interface AggregatorSpec {
  /** Where `urnd aggregator` listens for checkers' observation vectors; null: `--listen` must say. */
  readonly listen: Endpoint | null;
  /** The aggregator tick, ms: one status frame per tick; checkers push one vector per tick too. */
  readonly tickMs: number;
  /** Observation rows (vantage points) 0 … vantages-1; fixed for an aggregator's life. */
  readonly vantages: number;
  /** DNS processes' `dns.framesListen` addresses: every status frame goes to each. */
  readonly subscribers: readonly Endpoint[];
  /** Longest wait after start for every vantage's first vector before status frames go out anyway, ms. */
  readonly warmupMs: number;
}

/** Every role's admin HTTP listener (the document's `admin` section). */
export interface AdminSpec {
  /**
   * `admin.listen` as written (`HOST:PORT`, `HOST` for each role's own
   * port, `:PORT`, or `off`); null if the document does not say. `--admin`
   * wins over it; read when a process starts.
   */
  readonly listen: string | null;
  /**
   * `admin.checkSeries`: /metrics has a `urnd_check_status` (and last
   * failure) series per check up to this many checks; above it, only the
   * counts by status, so a large cell cannot flood its scraper. Default
   * 10,000; 0 leaves them out always.
   */
  readonly checkSeries: number;
}

/** The checker role (the document's `checker` section). */
export interface CheckerRoleSpec {
  /** Aggregators every checker vantage point pushes its vector to (default: `aggregator.listen`). */
  readonly aggregators: readonly Endpoint[];
}

export interface Plan {
  readonly cell: { readonly name: string; readonly capacity: number };
  readonly dns: DnsSpec;
  /** How often every node fetches the whole document again, ms (`configInterval`). */
  readonly configIntervalMs: number;
  readonly frames: FramesSpec;
  readonly aggregator: AggregatorSpec;
  readonly checker: CheckerRoleSpec;
  readonly admin: AdminSpec;
  /** Hex SHA-256 of `encodePlan(plan)`: equal for equal documents. */
  readonly version: string;

  // ── record sets, indexed 0..setCount-1 ──────────────────────────────────
  readonly setCount: number;
  /** Owner name of each set: lower case, no trailing dot. */
  readonly setName: readonly string[];
  readonly setType: Uint8Array; // RecordType
  readonly setPolicy: Uint8Array; // Policy
  readonly setFailMode: Uint8Array; // FailMode
  readonly setTtl: Uint32Array;
  /** Index of the set's first answer; its answers are consecutive. */
  readonly setFirst: Uint32Array;
  /** Number of answers, 1..MAX_ANSWERS_PER_SET. Failover sets: primary first, then the secondary if any. */
  readonly setLength: Uint8Array;
  /** Index into `zones` of the zone that holds the set. */
  readonly setZone: Uint16Array;
  /** Index of the set in the document's `records` list (for messages). */
  readonly setSource: Uint32Array;
  /**
   * What a query reads of a set, two words a set (derived, not encoded): its
   * first answer, then its length | fail mode << 8 | policy << 16. One array
   * instead of four is one map and bounds check instead of four.
   */
  readonly setQuery: Int32Array;
  /** Sum of the set's answer weights (derived, not encoded): health never changes it. */
  readonly setWeightSum: Uint32Array;
  /**
   * Bit k set when the set's answer k has weight 0, for sets of up to 32
   * answers; 0 for larger sets (derived, not encoded). See `packSetWeights`.
   */
  readonly setZeroWeights: Int32Array;

  // ── answers, indexed 0..answerCount-1 ──────────────────────────────────
  readonly answerCount: number;
  /** Slot whose status byte decides the answer's health; 0 when it has no check (the mask ignores it). */
  readonly answerSlot: Uint32Array;
  /** HealthMask for the answer. */
  readonly answerMask: Uint8Array;
  readonly answerWeight: Uint8Array;
  readonly answerRole: Uint8Array; // Role
  /** 16 bytes an answer: an A address in the first 4, an AAAA address in all 16; zeros for other types. */
  readonly answerAddress: Uint8Array;
  /**
   * Every answer's RDATA in wire form, back to back: answer i's bytes are
   * `answerRdata[answerRdataStart[i], answerRdataStart[i + 1])`. Names in
   * RDATA are written whole (never compressed), so a reply copies them.
   */
  readonly answerRdata: Uint8Array;
  /** answerCount + 1 offsets into `answerRdata`. */
  readonly answerRdataStart: Uint32Array;
  /**
   * Slot, mask and weight of each answer packed in one word (derived, not
   * encoded): what the selectors read, one load a candidate instead of
   * three; followed by ANSWER_WORD_PADDING zero words. See `packAnswerWords`.
   */
  readonly answerWord: Int32Array;
  /**
   * Per answer: 1 + the record set an alias answer points at (same type),
   * or 0 for an answer with a value.
   */
  readonly answerAlias: Uint32Array;
  /** Per answer: 1 when an alias evaluates its target's health (`evaluateTargetHealth`). */
  readonly answerEth: Uint8Array;
  /** Canonical RDATA text of each answer (an address, or e.g. `10 mail.shop.example.` for MX). */
  readonly answerValue: readonly string[];
  /** Health check id of each answer, or null. */
  readonly answerCheck: readonly (string | null)[];
  /** Index of the answer in its record's `answers` list in the document. */
  readonly answerSource: Uint16Array;

  // ── IP-based routing ───────────────────────────────────────────────────
  /** CIDR collections, in document order. */
  readonly cidrCollections: readonly CidrCollectionSpec[];
  /** Per set: 1 + its collection (`policy: ip` sets), else 0. */
  readonly setCidrCollection: Uint32Array;
  /** Per answer of an ip set: 1 + its location in the set's collection, or 0 for the default (`*`); 0 elsewhere. */
  readonly answerLocation: Uint32Array;
  /** Per collection (derived, not encoded): the compiled table; `match` gives a location index or -1. */
  readonly cidrTables: readonly CidrTable[];
  /**
   * Per ip set (derived, not encoded), 1 + L words from `setIpFirst[s]`
   * (L: its collection's locations): the default answer, then for each
   * location the answer tagged with it, or the default when none is.
   */
  readonly ipLocationAnswer: Int32Array;
  readonly setIpFirst: Uint32Array;

  // ── alias trees (derived, not encoded) ────────────────────────────────
  /**
   * Every tree's record sets in post-order (targets before the sets that
   * alias them, the root last), back to back; a set with alias answers
   * owns `treeNodes[setTreeFirst[s], setTreeFirst[s] + setTreeLength[s])`.
   * Sets without alias answers have length 0. See src/resolve/tree.ts.
   */
  readonly treeNodes: Int32Array;
  readonly setTreeFirst: Uint32Array;
  readonly setTreeLength: Uint8Array;

  // ── name lookup ─────────────────────────────────────────────────────────
  /** Per RecordType (RECORD_TYPE_COUNT maps), owner name → set index. */
  readonly setByType: SetsByType;
  /** Every name that exists (record owners and zone apexes) → zone index. */
  readonly names: ReadonlyMap<string, number>;
  readonly zones: readonly ZoneSpec[];

  // ── checks and slots (what the aggregator scans) ───────────────────────
  /** Every check, in document order. */
  readonly checks: readonly CheckSpec[];
  /** Check id → slot. */
  readonly checkSlot: ReadonlyMap<string, number>;
  /** Per slot (capacity entries): SlotKind. */
  readonly slotKind: Uint8Array;
  /** Per slot: SlotFlag bits. */
  readonly slotFlags: Uint8Array;
  /** Per slot: consecutive results needed to flip (probe checks), or the healthy-children threshold (calculated). */
  readonly slotThreshold: Uint32Array;
}

/** Bits of an `answerWord`: slot in 0..19 (capacity ≤ 2^20), HealthMask in 20..22, weight in 23..30. */
export const ANSWER_SLOT_MASK = 0xfffff;
export const ANSWER_MASK_SHIFT = 20;
export const ANSWER_WEIGHT_SHIFT = 23;
/** Zero words after the last answer word: an 8-wide read from any answer stays in bounds. */
export const ANSWER_WORD_PADDING = 7;

/**
 * The policy a query's switch sees for a set with alias answers (setQuery
 * only; `setPolicy` keeps the set's own policy): evaluate its whole tree.
 */
export const QUERY_TREE = 5;

/** Route 53's name of the default location of an IP-based set: clients no block of the collection covers. */
export const DEFAULT_LOCATION = '*';

/** A named CIDR collection (the document's `cidrCollections`): locations, each a list of CIDR blocks. */
export interface CidrCollectionSpec {
  readonly name: string;
  readonly locations: readonly CidrLocationSpec[];
}

/** One location of a CIDR collection; its blocks in canonical text (`192.0.2.0/24`, `2001:db8::/32`). */
export interface CidrLocationSpec {
  readonly name: string;
  readonly cidrs: readonly string[];
}

/**
 * Per set, two words: its first answer, then its length | fail mode << 8 |
 * policy << 16 (QUERY_TREE for a set with alias answers; see `Plan.setQuery`).
 */
export function packSetQuery(
  setFirst: Uint32Array,
  setLength: Uint8Array,
  setFailMode: Uint8Array,
  setPolicy: Uint8Array,
  setTreeLength: Uint8Array,
): Int32Array {
  const words = new Int32Array(setFirst.length * 2);
  for (let s = 0; s < setFirst.length; s++) {
    const policy = (setTreeLength[s] as number) > 0 ? QUERY_TREE : (setPolicy[s] as number);
    words[2 * s] = setFirst[s] as number;
    words[2 * s + 1] = (setLength[s] as number) | ((setFailMode[s] as number) << 8) | (policy << 16);
  }
  return words;
}

/**
 * Each alias tree in post-order (see `Plan.treeNodes`): a depth-first walk
 * from every set with alias answers, each set once per tree.
 */
export function packTrees(
  setFirst: Uint32Array,
  setLength: Uint8Array,
  answerAlias: Uint32Array,
): { treeNodes: Int32Array; setTreeFirst: Uint32Array; setTreeLength: Uint8Array } {
  const setCount = setFirst.length;
  const nodes: number[] = [];
  const setTreeFirst = new Uint32Array(setCount);
  const setTreeLength = new Uint8Array(setCount);
  const hasAlias = (s: number): boolean => {
    const first = setFirst[s] as number;
    for (let i = first; i < first + (setLength[s] as number); i++) if ((answerAlias[i] as number) > 0) return true;
    return false;
  };
  for (let root = 0; root < setCount; root++) {
    if (!hasAlias(root)) continue;
    const seen = new Set<number>();
    const start = nodes.length;
    const visit = (s: number, depth: number): void => {
      // Validated: no cycles, depth and size bounded; the guard keeps a bad decoded plan finite.
      if (seen.has(s) || depth > MAX_ALIAS_DEPTH) return;
      seen.add(s);
      const first = setFirst[s] as number;
      for (let i = first; i < first + (setLength[s] as number); i++) {
        const t = answerAlias[i] as number;
        if (t > 0 && t <= setCount) visit(t - 1, depth + 1);
      }
      nodes.push(s);
    };
    visit(root, 0);
    setTreeFirst[root] = start;
    setTreeLength[root] = Math.min(nodes.length - start, 255);
  }
  return { treeNodes: Int32Array.from(nodes), setTreeFirst, setTreeLength };
}

/**
 * Per set, what weighted selection needs that health never changes: the sum
 * of its weights and a bit mask of its zero-weight answers (sets of up to 32
 * answers), so a query computes neither.
 */
export function packSetWeights(
  setFirst: Uint32Array,
  setLength: Uint8Array,
  weight: Uint8Array,
): { setWeightSum: Uint32Array; setZeroWeights: Int32Array } {
  const setWeightSum = new Uint32Array(setFirst.length);
  const setZeroWeights = new Int32Array(setFirst.length);
  for (let s = 0; s < setFirst.length; s++) {
    const first = setFirst[s] as number;
    const n = setLength[s] as number;
    let sum = 0;
    let zeros = 0;
    for (let k = 0; k < n; k++) {
      const w = weight[first + k] as number;
      sum += w;
      if (w === 0 && n <= 32) zeros |= 1 << k;
    }
    setWeightSum[s] = sum;
    setZeroWeights[s] = zeros;
  }
  return { setWeightSum, setZeroWeights };
}

/** Packs each answer's slot, health mask and weight into one word. */
export function packAnswerWords(slot: Uint32Array, mask: Uint8Array, weight: Uint8Array): Int32Array {
  // Zero words after the last answer, so the resolver's unrolled read of 8
  // words from any set's first answer stays in bounds (it masks out what
  // lies past the set).
  const words = new Int32Array(slot.length + ANSWER_WORD_PADDING);
  for (let i = 0; i < slot.length; i++) {
    words[i] =
      ((slot[i] as number) & ANSWER_SLOT_MASK) |
      (((mask[i] as number) & 7) << ANSWER_MASK_SHIFT) |
      (((weight[i] as number) & 0xff) << ANSWER_WEIGHT_SHIFT);
  }
  return words;
}

/**
 * Per ip set, its location → answer map (see `Plan.ipLocationAnswer`):
 * entry 0 the default answer, entry 1 + l the answer of location l (or the
 * default). Other sets own no words.
 */
export function packIpLocations(
  setFirst: Uint32Array,
  setLength: Uint8Array,
  setCidrCollection: Uint32Array,
  answerLocation: Uint32Array,
  collections: readonly CidrCollectionSpec[],
): { ipLocationAnswer: Int32Array; setIpFirst: Uint32Array } {
  const setIpFirst = new Uint32Array(setFirst.length);
  const words: number[] = [];
  for (let s = 0; s < setFirst.length; s++) {
    const c = collections[(setCidrCollection[s] as number) - 1];
    if (c === undefined) continue;
    const first = setFirst[s] as number;
    const n = setLength[s] as number;
    let fallback = first;
    for (let i = first; i < first + n; i++) if (answerLocation[i] === 0) fallback = i;
    const base = words.length;
    setIpFirst[s] = base;
    for (let l = 0; l <= c.locations.length; l++) words.push(fallback);
    for (let i = first; i < first + n; i++) {
      const loc = answerLocation[i] as number;
      if (loc > 0 && loc <= c.locations.length) words[base + loc] = i;
    }
  }
  return { ipLocationAnswer: Int32Array.from(words), setIpFirst };
}
