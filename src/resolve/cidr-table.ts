/**
 * CIDR collections → a fixed-depth multibit trie with longest-prefix match,
 * for `policy: ip` (Route 53 "IP-based routing"; wired into the resolver
 * next).
 *
 * Route 53's rules, mirrored (its IP-based routing guide):
 * - IPv4 blocks are /1 to /24, IPv6 blocks /1 to /48; /0 is not a block but
 *   the default answer. So only the top 24 (IPv4) or 48 (IPv6) bits of an
 *   address can ever decide a match, and the walk is 3 or 6 steps of 8 bits.
 * - A client prefix shorter than a block does not match it: a query from
 *   2001:db8::/32 does not match 2001:db8:0:1234::/48. A lookup takes the
 *   client's source prefix length and only blocks at most that long match.
 * - Host bits set (`10.0.0.1/8`): Route 53's documentation does not say; we
 *   reject, naming the network meant, since masking would silently route a
 *   range the author did not write.
 * - The same block in two collections is ambiguous and rejected; repeated
 *   inside one collection it is harmless and kept once.
 * - An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket
 *   shows an IPv4 client) is looked up as the IPv4 address, in the IPv4
 *   blocks; IPv6 blocks never match it.
 *
 * Layout (drawn for STRIDE = 8): one Int32Array of variable-size nodes, a
 * node named by its word offset. Each node describes 512 slots:
 *
 *   slot 0          unused (-1)
 *   slot 1..255     best at a partial prefix: pos = (1 << k) | (top k bits of
 *                   the level's byte), k 0..7, a binary tree of the level's
 *                   partial prefixes, so a client prefix that ends inside
 *                   this level reads only blocks no longer than it.
 *   slot 256..511   the whole byte b (256 + b): best, plus the child node and
 *                   the ECS scope if the answer is uniform over b's block.
 *
 * Neighbouring slots mostly hold the same thing (a node usually has one or
 * a few blocks and children), so a node stores each run of equal slots once
 * (poptrie's leaf compression):
 *
 *   word 0..31      rank words, one per 16 slots: (runs that start before
 *                   this word's first slot) << 16 | (bit i: a run starts at
 *                   slot 16·w + i). Slot 0 always starts one.
 *   word 32..       one entry per run, two words: best (collection << 6 |
 *                   length, or -1) and down (child offset · 128 + scope;
 *                   child 0 is the null node).
 *
 * A slot's entry is 32 + 2 · (rank − 1), rank = the word's count + popcount
 * of its bits up to the slot: one load and a 16-bit popcount, no branch. A
 * step reads the partial slot (best) and the whole-byte slot (down); both
 * are read on every level of every lookup. Node 0 is the null node (one
 * run: no blocks, down to itself) every missing child points at, so every
 * lookup walks all its levels whatever the number of blocks.
 *
 * ECS scope (RFC 7871 §7.2.1): the shortest prefix of the address over which
 * every address gets the same answer at full length, so answers never
 * overlap in a cache ("an Authoritative Nameserver MUST NOT overlap
 * prefixes"). With 10.0.0.0/8 → A and 10.1.0.0/16 → B, a client in 10.2.3.0
 * gets A with scope 15 (10.2.0.0/15 holds no B), not 8. It can exceed the
 * client's source prefix, which tells the resolver to send more bits.
 */
import { AddressFamily, formatIPv4, formatIPv6Hex, parseAddressInto } from '../config/names.js';
import { UrndError } from '../errors.js';

// The address text rules live with the config's (one parser for both); re-exported as this module's API.
export { AddressFamily, parseAddressInto } from '../config/names.js';

/** Longest blocks Route 53 takes: /24 for IPv4, /48 for IPv6. */
export const MAX_IPV4_BLOCK = 24;
export const MAX_IPV6_BLOCK = 48;
/**
 * Bits per trie level (8, 4 or 2 divide both 24 and 48; the property tests
 * pass with each). 8 keeps the walk at 3 / 6 steps; run compression keeps
 * the nodes small, so fewer, wider steps win (see the README's figures).
 */
const STRIDE = 8;
const FANOUT = 1 << STRIDE;
const CHUNK_MASK = FANOUT - 1;
const V4_LEVELS = MAX_IPV4_BLOCK / STRIDE;
const V6_LEVELS = MAX_IPV6_BLOCK / STRIDE;
/** ::ffff:0:0/96: the mapped IPv4 addresses sit below this many bits. */
const MAPPED_PREFIX = 96;

/** Slots per node: the partial-prefix tree, then one per byte value. */
const SLOTS = 2 * FANOUT;
const SLOTS_PER_RANK_WORD = 16;
/** Rank words at the head of every node. */
const RANK_WORDS = Math.max(1, SLOTS / SLOTS_PER_RANK_WORD);
/** Words per run entry: best, down. */
const ENTRY_WORDS = 2;
const SCOPE_BITS = 7;
const SCOPE_MASK = (1 << SCOPE_BITS) - 1;
const LENGTH_BITS = 6;
const LENGTH_MASK = (1 << LENGTH_BITS) - 1;
/** Largest collection index a packed best word holds. */
export const MAX_COLLECTIONS = 2 ** (31 - LENGTH_BITS);
/** A down word holds the child's offset (read back unsigned) above the scope. */
const MAX_TABLE_WORDS = 2 ** (32 - SCOPE_BITS);

/** `match` writes these into its `out` array. */
export const CidrMatch = {
  /** The length of the block that matched (as written, e.g. 24 for an IPv4 /24 even for a mapped address); 0 if none. */
  BLOCK_LENGTH: 0,
  /** The ECS scope prefix length, in bits of the address as given (96 + IPv4 scope for a mapped address). */
  SCOPE: 1,
} as const;
/** Length of the `out` array `match` fills. */
export const CIDR_MATCH_LENGTH = 2;

/** One collection: the CIDR blocks whose clients it answers. */
export interface CidrCollection {
  readonly cidrs: readonly string[];
}

/** A collection list that could not be compiled: `path` (e.g. `[2].cidrs[0]`) and `reason` name the value. */
export class CidrTableError extends UrndError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super('URND_ERR_ARGUMENT', `${path}: ${reason}`);
    this.name = 'CidrTableError';
    this.path = path;
    this.reason = reason;
  }
}

/** Bits set per byte value: two independent loads beat a SWAR chain on the walk's critical path. */
const POP8 = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let x = i; x !== 0; x &= x - 1) n++;
  return n;
});

/** Bits set in a 16-bit value. */
function popcount16(x: number): number {
  return (POP8[x & 0xff] as number) + (POP8[x >> 8] as number);
}

/**
 * The compiled table. `match` is the hot path: a fixed number of steps
 * (3 for IPv4, 6 for IPv6), each two ranks and two entry loads, no
 * allocation.
 */
export class CidrTable {
  /** Every node (see the layout); offset 0 is the null node. */
  readonly cells: Int32Array;
  readonly rootV4: number;
  readonly rootV6: number;
  readonly collections: number;
  readonly blocks: number;
  /** Nodes in the table, the null node included. */
  readonly nodes: number;
  /** What it was compiled from (`cidrTableKey`), so an unchanged config can keep it. */
  readonly key: string;

  constructor(
    cells: Int32Array,
    rootV4: number,
    rootV6: number,
    collections: number,
    blocks: number,
    nodes: number,
    key: string,
  ) {
    this.cells = cells;
    this.rootV4 = rootV4;
    this.rootV6 = rootV6;
    this.collections = collections;
    this.blocks = blocks;
    this.nodes = nodes;
    this.key = key;
  }

  /** Bytes the table's cells take. */
  get bytes(): number {
    return this.cells.byteLength;
  }

  /**
   * The collection whose block is the longest one no longer than
   * `sourcePrefix` that covers the address, or -1 (the default answer).
   * The address is `bytes[offset..]`: 4 bytes for IPv4, 16 for IPv6 (only
   * the first 3 / 6 are read, plus 12 to recognise an IPv4-mapped address).
   * Writes the block's length and the ECS scope into `out` (CidrMatch).
   * Pass the full width (32 / 128) as `sourcePrefix` for a socket address.
   */
  match(family: AddressFamily, bytes: Uint8Array, offset: number, sourcePrefix: number, out: Int32Array): number {
    if (family === AddressFamily.IPv4) return this.walk(this.rootV4, V4_LEVELS, bytes, offset, sourcePrefix, 0, out);
    if (isMapped(bytes, offset)) {
      return this.walk(this.rootV4, V4_LEVELS, bytes, offset + 12, sourcePrefix - MAPPED_PREFIX, MAPPED_PREFIX, out);
    }
    return this.walk(this.rootV6, V6_LEVELS, bytes, offset, sourcePrefix, 0, out);
  }

  /** For tools and tests (allocates): `match` on an address's text; null if it is not an address. */
  matchText(address: string, sourcePrefix?: number): { collection: number; blockLength: number; scope: number } | null {
    const bytes = new Uint8Array(16);
    const family = parseAddressInto(address, 0, address.length, bytes);
    if (family === 0) return null;
    const out = new Int32Array(CIDR_MATCH_LENGTH);
    const width = family === AddressFamily.IPv4 ? 32 : 128;
    const collection = this.match(family, bytes, 0, sourcePrefix ?? width, out);
    return { collection, blockLength: out[CidrMatch.BLOCK_LENGTH] as number, scope: out[CidrMatch.SCOPE] as number };
  }

  private walk(
    root: number,
    levels: number,
    bytes: Uint8Array,
    offset: number,
    sourcePrefix: number,
    scopeBase: number,
    out: Int32Array,
  ): number {
    const cells = this.cells;
    let node = root;
    let best = -1;
    let scope = 0;
    // Every level, always: the null node answers "nothing here" in the
    // same loads a real node does.
    for (let level = 0; level < levels; level++) {
      const bit = level * STRIDE;
      const b = ((bytes[offset + (bit >> 3)] as number) >> (8 - STRIDE - (bit & 7))) & CHUNK_MASK;
      let k = sourcePrefix - bit;
      k = Math.max(0, Math.min(k, STRIDE));
      const partial = (1 << k) | (b >> (STRIDE - k));
      const whole = FANOUT + b;
      const pw = cells[node + (partial >> 4)] as number;
      const ww = cells[node + (whole >> 4)] as number;
      const pr = (pw >>> 16) + popcount16(pw & ((2 << (partial & 15)) - 1));
      const wr = (ww >>> 16) + popcount16(ww & ((2 << (whole & 15)) - 1));
      const here = cells[node + RANK_WORDS - ENTRY_WORDS + ENTRY_WORDS * pr] as number;
      best = here === -1 ? best : here; // a block found deeper is longer
      const down = cells[node + RANK_WORDS - ENTRY_WORDS + 1 + ENTRY_WORDS * wr] as number;
      scope = Math.max(down & SCOPE_MASK, scope);
      node = down >>> SCOPE_BITS;
    }
    out[CidrMatch.BLOCK_LENGTH] = best & LENGTH_MASK & ~(best >> 31);
    out[CidrMatch.SCOPE] = scopeBase + scope;
    return best >> LENGTH_BITS;
  }
}

function isMapped(bytes: Uint8Array, at: number): boolean {
  let zero = 0;
  for (let i = 0; i < 10; i++) zero |= bytes[at + i] as number;
  return zero === 0 && bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
}

// ---------------------------------------------------------------------------
// Compiling (not a hot path, but re-run on every config pass: kept sparse)

/** Answer values while compiling: a collection, -1 (default), or these. */
const NOT_UNIFORM = -2;
/** The IPv6 block ::/48 holds the mapped IPv4 space, answered from the IPv4 blocks. */
const MIXED = -3;

/** A node while compiling: only what was inserted; the slot arrays live in per-level scratch. */
interface BuildNode {
  /** Blocks ending in this level: (top slot, k, packed) triples. */
  readonly ends: number[];
  /** Byte values with a child and their children, in the same order (ascending from the first pass on). */
  childBytes: number[];
  childNodes: BuildNode[];
  /** The node's uniform answer (its slot 1), from the first pass. */
  answer: number;
}

function newNode(): BuildNode {
  return { ends: [], childBytes: [], childNodes: [], answer: NOT_UNIFORM };
}

/** Per level: best and uniform per slot, scope per byte. */
interface Scratch {
  readonly best: Int32Array;
  readonly uniform: Int32Array;
  readonly scope: Int32Array;
  /** Per slot: the depth of its topmost ancestor whose subtree is uniform, or -1. */
  readonly top: Int32Array;
}

/**
 * A cheap, exact content key for a collection list: equal keys compile to
 * equal tables, so a config pass that finds its previous table's key can
 * keep the table (`reuseOrCompileCidrTable`).
 */
export function cidrTableKey(collections: readonly CidrCollection[]): string {
  // JSON keeps a value's type (42 and "42" differ) and needs no separator escaping.
  return JSON.stringify(collections.map((c) => c.cidrs));
}

/**
 * `previous` if it was compiled from the same collections (by
 * `cidrTableKey`), else a new table: the config is re-applied every pass,
 * and a 10,000-collection table costs far more to compile than to key.
 */
export function reuseOrCompileCidrTable(
  collections: readonly CidrCollection[],
  previous: CidrTable | null | undefined,
): CidrTable {
  const key = cidrTableKey(collections);
  if (previous != null && previous.key === key) return previous;
  return compileKeyed(collections, key);
}

/**
 * Compiles `collections` (each a list of CIDR blocks) into a CidrTable;
 * `match` then returns indices into `collections`. Throws a CidrTableError
 * naming the first bad value.
 */
export function compileCidrTable(collections: readonly CidrCollection[]): CidrTable {
  return compileKeyed(collections, cidrTableKey(collections));
}

function compileKeyed(collections: readonly CidrCollection[], key: string): CidrTable {
  if (collections.length >= MAX_COLLECTIONS) {
    throw new CidrTableError(
      '',
      `${collections.length} collections is more than the ${MAX_COLLECTIONS - 1} a table holds`,
    );
  }
  const roots = [newNode(), newNode()] as const;
  const seen = new Map<string, { collection: number; path: string }>();
  const bytes = new Uint8Array(16);
  let blocks = 0;
  collections.forEach((collection, c) => {
    collection.cidrs.forEach((text, i) => {
      const path = `[${c}].cidrs[${i}]`;
      const { family, length } = parseCidr(text, path, bytes);
      const blockKey = `${family}:${Array.from(bytes.subarray(0, Math.ceil(length / 8))).join('.')}/${length}`;
      const before = seen.get(blockKey);
      if (before !== undefined) {
        if (before.collection === c) return;
        throw new CidrTableError(
          path,
          `"${text}" is also in collection ${before.collection} (${before.path}): a block belongs to one collection`,
        );
      }
      seen.set(blockKey, { collection: c, path });
      insert(family === AddressFamily.IPv4 ? roots[0] : roots[1], bytes, length, c);
      blocks++;
    });
  });
  // The IPv6 path to ::/48 always exists: that slot is MIXED (see below).
  let n = roots[1];
  for (let level = 0; level < V6_LEVELS - 1; level++) n = childOf(n, 0);
  const levels = Math.max(V4_LEVELS, V6_LEVELS);
  const scratch: Scratch[] = Array.from({ length: levels }, () => ({
    best: new Int32Array(SLOTS),
    uniform: new Int32Array(SLOTS),
    scope: new Int32Array(FANOUT),
    top: new Int32Array(SLOTS),
  }));
  const emitter = new Emitter();
  emitter.nullNode();
  const nodes = { count: 1 };
  const v4: Pass = { levels: V4_LEVELS, scratch, emitter, nodes };
  const v6: Pass = { levels: V6_LEVELS, scratch, emitter, nodes };
  answerOf(v4, roots[0], 0, -1, false);
  answerOf(v6, roots[1], 0, -1, true);
  const rootV4 = emit(v4, roots[0], 0, -1, false, 0);
  const rootV6 = emit(v6, roots[1], 0, -1, true, 0);
  return new CidrTable(emitter.finish(), rootV4, rootV6, collections.length, blocks, nodes.count, key);
}

function childOf(node: BuildNode, b: number): BuildNode {
  // A linear search: nodes hold few children (a root at most FANOUT), and a Map per node cost more in GC.
  const i = node.childBytes.indexOf(b);
  if (i >= 0) return node.childNodes[i] as BuildNode;
  const child = newNode();
  node.childBytes.push(b);
  node.childNodes.push(child);
  return child;
}

function sortChildren(node: BuildNode): void {
  const bytes = node.childBytes;
  if (bytes.length < 2) return;
  const order = bytes.map((_, i) => i).sort((x, y) => (bytes[x] as number) - (bytes[y] as number));
  const nodes = node.childNodes;
  node.childBytes = order.map((i) => bytes[i] as number);
  node.childNodes = order.map((i) => nodes[i] as BuildNode);
}

/** The level's STRIDE bits of a key's bytes. */
function chunk(bytes: Uint8Array, level: number): number {
  const bit = level * STRIDE;
  return ((bytes[bit >> 3] as number) >> (8 - STRIDE - (bit & 7))) & CHUNK_MASK;
}

/** Records the block at its last level (written into the slots when the node is visited). */
function insert(root: BuildNode, bytes: Uint8Array, length: number, collection: number): void {
  let node = root;
  let level = 0;
  while (length > STRIDE * level + STRIDE) {
    node = childOf(node, chunk(bytes, level));
    level++;
  }
  const k = length - STRIDE * level;
  node.ends.push((1 << k) | (chunk(bytes, level) >> (STRIDE - k)), k, (collection << LENGTH_BITS) | length);
}

interface Pass {
  readonly levels: number;
  readonly scratch: readonly Scratch[];
  readonly emitter: Emitter;
  readonly nodes: { count: number };
}

/** Fills `best` with the node's blocks: every slot a block covers at its last level, where it is the longest. */
function fillBest(node: BuildNode, best: Int32Array): void {
  best.fill(-1);
  const ends = node.ends;
  for (let e = 0; e < ends.length; e += 3) {
    const top = ends[e] as number;
    const k = ends[e + 1] as number;
    const packed = ends[e + 2] as number;
    const length = packed & LENGTH_MASK;
    for (let depth = k; depth <= STRIDE; depth++) {
      const first = top << (depth - k);
      const last = (top + 1) << (depth - k);
      for (let pos = first; pos < last; pos++) {
        const old = best[pos] as number;
        if (old === -1 || (old & LENGTH_MASK) < length) best[pos] = packed;
      }
    }
  }
}

/**
 * Fills `s.uniform`: per slot, the one answer every address under it gets
 * at full length, or NOT_UNIFORM (children's answers from the first pass).
 * `inherited` is the best block from the levels above; `zeroPath`: the node
 * is on the IPv6 path to ::/48.
 */
function fillUniform(p: Pass, node: BuildNode, level: number, inherited: number, zeroPath: boolean, s: Scratch): void {
  fillLeafAnswers(p, node, level, inherited, zeroPath, s);
  const u = s.uniform;
  for (let pos = FANOUT - 1; pos >= 1; pos--) {
    const l = u[2 * pos] as number;
    u[pos] = l === u[2 * pos + 1] && l !== NOT_UNIFORM && l !== MIXED ? l : NOT_UNIFORM;
  }
}

/** `s.uniform` for the whole-byte slots only. */
function fillLeafAnswers(
  p: Pass,
  node: BuildNode,
  level: number,
  inherited: number,
  zeroPath: boolean,
  s: Scratch,
): void {
  const u = s.uniform;
  const children = node.childBytes;
  let next = 0;
  for (let b = 0; b < FANOUT; b++) {
    const here = s.best[FANOUT + b] as number;
    const best = here === -1 ? inherited : here;
    let answer = best === -1 ? -1 : best >> LENGTH_BITS;
    if (children[next] === b) {
      answer = (node.childNodes[next] as BuildNode).answer;
      next++;
    }
    // ::/48: its mapped addresses are answered from the IPv4 blocks, the
    // rest from the IPv6 ones, so no scope of 48 bits or less is uniform.
    if (zeroPath && level === p.levels - 1 && b === 0) answer = MIXED;
    u[FANOUT + b] = answer;
  }
}

/** First pass, bottom up: every node's uniform answer, which its parent's scopes need. */
function answerOf(p: Pass, node: BuildNode, level: number, inherited: number, zeroPath: boolean): number {
  const s = p.scratch[level] as Scratch;
  sortChildren(node);
  fillBest(node, s.best);
  node.childBytes.forEach((b, i) => {
    const here = s.best[FANOUT + b] as number;
    const child = node.childNodes[i] as BuildNode;
    child.answer = answerOf(p, child, level + 1, here === -1 ? inherited : here, zeroPath && b === 0);
  });
  // The children used the next level's scratch; this level's best is intact.
  // Only slot 1 is needed here: uniform iff every whole byte has one answer.
  fillLeafAnswers(p, node, level, inherited, zeroPath, s);
  const u = s.uniform;
  const answer = u[FANOUT] as number;
  if (answer === NOT_UNIFORM || answer === MIXED) return NOT_UNIFORM;
  for (let b = 1; b < FANOUT; b++) if (u[FANOUT + b] !== answer) return NOT_UNIFORM;
  return answer;
}

/**
 * Second pass, top down: the node's scopes (`above` is its parent's slot's
 * scope, used if the whole node is uniform), then the node written
 * run-compressed, then its children, whose offsets are patched into it.
 * Returns the node's offset.
 */
function emit(p: Pass, node: BuildNode, level: number, inherited: number, zeroPath: boolean, above: number): number {
  const s = p.scratch[level] as Scratch;
  fillBest(node, s.best);
  fillUniform(p, node, level, inherited, zeroPath, s);
  const u = s.uniform;
  // A uniform slot's subtree is all one answer, so the uniform ancestors of
  // a slot are an unbroken chain up from it: the topmost one's depth is the
  // scope (within this level), found top down in one sweep.
  const top = s.top;
  top[0] = -1;
  for (let pos = 1; pos < SLOTS; pos++) {
    const up = pos === 1 ? -1 : (top[pos >> 1] as number);
    const x = u[pos] as number;
    top[pos] = up >= 0 ? up : x !== NOT_UNIFORM && x !== MIXED ? 31 - Math.clz32(pos) : -1;
  }
  for (let b = 0; b < FANOUT; b++) {
    const answer = u[FANOUT + b] as number;
    let scope = 0;
    if (answer === MIXED) {
      scope = MAPPED_PREFIX; // a non-mapped address in ::/48: the /96 leaves the mapped space out
    } else if (answer !== NOT_UNIFORM) {
      const k = top[FANOUT + b] as number;
      scope = k === 0 ? above : STRIDE * level + k;
    }
    s.scope[b] = scope;
  }
  p.nodes.count++;
  const at = p.emitter.node(s.best, s.scope, node.childBytes);
  for (let i = 0; i < node.childBytes.length; i++) {
    const b = node.childBytes[i] as number;
    const here = s.best[FANOUT + b] as number;
    const scope = s.scope[b] as number;
    const child = emit(
      p,
      node.childNodes[i] as BuildNode,
      level + 1,
      here === -1 ? inherited : here,
      zeroPath && b === 0,
      scope,
    );
    p.emitter.setChild(at, FANOUT + b, child, scope);
  }
  return at;
}

/** Writes run-compressed nodes into a growing Int32Array. */
class Emitter {
  private cells = new Int32Array(1 << 16);
  private length = 0;
  /** One node's rank words and entries, before it is copied in. */
  private readonly head = new Int32Array(RANK_WORDS);
  private readonly entries = new Int32Array(ENTRY_WORDS * SLOTS);

  private reserve(words: number): number {
    const at = this.length;
    if (at + words > MAX_TABLE_WORDS) {
      throw new CidrTableError('', `the blocks need more than ${MAX_TABLE_WORDS} table words: too many collections`);
    }
    if (at + words > this.cells.length) {
      const grown = new Int32Array(Math.max(this.cells.length * 2, at + words));
      grown.set(this.cells);
      this.cells = grown;
    }
    this.length += words;
    return at;
  }

  /** The null node at offset 0: one run, no block, down to itself with scope 0. */
  nullNode(): void {
    const at = this.reserve(RANK_WORDS + ENTRY_WORDS);
    this.cells[at] = 1;
    for (let w = 1; w < RANK_WORDS; w++) this.cells[at + w] = 1 << 16;
    this.cells[at + RANK_WORDS] = -1;
    this.cells[at + RANK_WORDS + 1] = 0;
  }

  /** A node from its slots; a byte with a child always starts its own run (its down word is patched in later). */
  node(best: Int32Array, scope: Int32Array, childBytes: readonly number[]): number {
    const head = this.head;
    const entries = this.entries;
    let run = -1;
    let next = 0;
    let prevBest = 0;
    let prevDown = 0;
    let prevChild = false;
    for (let pos = 0; pos < SLOTS; pos++) {
      const hasChild = pos >= FANOUT && childBytes[next] === pos - FANOUT;
      if (hasChild) next++;
      const down = pos >= FANOUT ? (scope[pos - FANOUT] as number) : 0;
      const bestHere = best[pos] as number;
      const w = pos >> 4;
      if ((pos & 15) === 0) head[w] = (run + 1) << 16;
      if (pos === 0 || hasChild || prevChild || bestHere !== prevBest || down !== prevDown) {
        run++;
        head[w] = (head[w] as number) | (1 << (pos & 15));
        entries[ENTRY_WORDS * run] = bestHere;
        entries[ENTRY_WORDS * run + 1] = down;
      }
      prevBest = bestHere;
      prevDown = down;
      prevChild = hasChild;
    }
    const at = this.reserve(RANK_WORDS + ENTRY_WORDS * (run + 1));
    this.cells.set(head, at);
    this.cells.set(entries.subarray(0, ENTRY_WORDS * (run + 1)), at + RANK_WORDS);
    return at;
  }

  /** Points the run of `slot` (a byte with a child, so a run of its own) at the child. */
  setChild(at: number, slot: number, child: number, scope: number): void {
    const cells = this.cells;
    const w = cells[at + (slot >> 4)] as number;
    const rank = (w >>> 16) + popcount16(w & ((2 << (slot & 15)) - 1));
    cells[at + RANK_WORDS + ENTRY_WORDS * (rank - 1) + 1] = child * (1 << SCOPE_BITS) + scope;
  }

  finish(): Int32Array {
    return this.cells.slice(0, this.length);
  }
}

// ---------------------------------------------------------------------------
// Text

function parseCidr(text: string, path: string, bytes: Uint8Array): { family: AddressFamily; length: number } {
  if (typeof text !== 'string')
    throw new CidrTableError(path, `${JSON.stringify(text)} is not a CIDR block (text like "192.0.2.0/24")`);
  const slash = text.indexOf('/');
  if (slash < 0) throw new CidrTableError(path, `"${text}" has no prefix length (write it like "192.0.2.0/24")`);
  bytes.fill(0);
  const family = parseAddressInto(text, 0, slash, bytes);
  if (family === 0)
    throw new CidrTableError(path, `"${text}" is not a CIDR block: "${text.slice(0, slash)}" is not an IP address`);
  const lengthText = text.slice(slash + 1);
  const max = family === AddressFamily.IPv4 ? MAX_IPV4_BLOCK : MAX_IPV6_BLOCK;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) {
    throw new CidrTableError(path, `"${text}" has a bad prefix length "${lengthText}"`);
  }
  const length = Number(lengthText);
  if (length === 0) {
    throw new CidrTableError(path, `"${text}" is /0: every client gets the default answer, so leave the block out`);
  }
  if (length > max) {
    const fam = family === AddressFamily.IPv4 ? 'IPv4' : 'IPv6';
    throw new CidrTableError(path, `"${text}" is longer than /${max}, the longest ${fam} block (as in Route 53)`);
  }
  const width = family === AddressFamily.IPv4 ? 4 : 16;
  let hostBits = false;
  for (let i = 0; i < width; i++) {
    const keep = i * 8 >= length ? 0 : length - i * 8 >= 8 ? 0xff : (0xff << (8 - (length - i * 8))) & 0xff;
    if (((bytes[i] as number) & ~keep) !== 0) hostBits = true;
  }
  if (hostBits) {
    for (let i = 0; i < width; i++) {
      const keep = i * 8 >= length ? 0 : length - i * 8 >= 8 ? 0xff : (0xff << (8 - (length - i * 8))) & 0xff;
      bytes[i] = (bytes[i] as number) & keep;
    }
    throw new CidrTableError(
      path,
      `"${text}" has host bits set: the /${length} network is ${formatAddress(family, bytes)}/${length}`,
    );
  }
  return { family, length };
}

/** An address's text (allocates): dotted quad, or IPv6 groups in hex with the longest zero run as '::'. */
export function formatAddress(family: AddressFamily, bytes: Uint8Array, offset = 0): string {
  return family === AddressFamily.IPv4 ? formatIPv4(bytes, offset) : formatIPv6Hex(bytes, offset);
}
