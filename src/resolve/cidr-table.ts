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
 * Layout (drawn for STRIDE = 8, the measured default): one Int32Array of
 * nodes, NODE_WORDS each; node 0 is the null node
 * (no blocks, no children) every missing child points at, so every lookup
 * walks all its levels whatever the number of blocks:
 *
 *   word 0..511    best[pos]: the longest block ending inside this level that
 *                  covers pos, packed (collection << 6 | length), or -1.
 *                  pos = (1 << k) | (top k bits of the level's byte), k 0..8:
 *                  a binary tree of the level's partial prefixes, so a client
 *                  prefix that ends inside this level reads only blocks no
 *                  longer than it (pos 1, k = 0: nothing).
 *   word 512..767  down[byte]: child node << 7 | scope, where scope is the
 *                  ECS scope if the address's answer is uniform over this
 *                  byte's whole block, else 0 (decided deeper).
 *
 * ECS scope (RFC 7871 §7.2.1): the shortest prefix of the address over which
 * every address gets the same answer at full length, so answers never
 * overlap in a cache ("an Authoritative Nameserver MUST NOT overlap
 * prefixes"). With 10.0.0.0/8 → A and 10.1.0.0/16 → B, a client in 10.2.3.0
 * gets A with scope 15 (10.2.0.0/15 holds no B), not 8. It can exceed the
 * client's source prefix, which tells the resolver to send more bits.
 */
import { UrndError } from '../errors.js';

/** Address families as IANA numbers them (and as the ECS option carries them). */
export const AddressFamily = { IPv4: 1, IPv6: 2 } as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** Longest blocks Route 53 takes: /24 for IPv4, /48 for IPv6. */
export const MAX_IPV4_BLOCK = 24;
export const MAX_IPV6_BLOCK = 48;
/**
 * Bits per trie level (8, 4 or 2; the property tests pass with each). 8 is
 * what bench/cidr.bench.ts measured. 4 cuts 10,000 random collections from
 * 85 to 11 MiB, but an ad-hoc run on the busy machine found each lookup
 * ~4× slower even with the table in cache (78 vs 19 ns IPv4), not yet
 * understood; measure before changing it.
 */
const STRIDE = 8;
const FANOUT = 1 << STRIDE;
const CHUNK_MASK = FANOUT - 1;
const V4_LEVELS = MAX_IPV4_BLOCK / STRIDE;
const V6_LEVELS = MAX_IPV6_BLOCK / STRIDE;
/** ::ffff:0:0/96: the mapped IPv4 addresses sit below this many bits. */
const MAPPED_PREFIX = 96;

const BEST_WORDS = 2 * FANOUT;
const DOWN_OFFSET = BEST_WORDS;
/** Words per node: best[2 · FANOUT] then down[FANOUT]. */
export const NODE_WORDS = BEST_WORDS + FANOUT;
const SCOPE_BITS = 7;
const SCOPE_MASK = (1 << SCOPE_BITS) - 1;
const LENGTH_BITS = 6;
const LENGTH_MASK = (1 << LENGTH_BITS) - 1;
/** Largest collection index a packed best word holds. */
export const MAX_COLLECTIONS = 2 ** (31 - LENGTH_BITS);

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

/**
 * The compiled table. `match` is the hot path: a fixed number of steps
 * (3 for IPv4, 6 for IPv6), two typed-array loads each, no allocation.
 */
export class CidrTable {
  /** Every node, NODE_WORDS words each; node 0 is the null node. */
  readonly cells: Int32Array;
  readonly rootV4: number;
  readonly rootV6: number;
  readonly collections: number;
  readonly blocks: number;

  constructor(cells: Int32Array, rootV4: number, rootV6: number, collections: number, blocks: number) {
    this.cells = cells;
    this.rootV4 = rootV4;
    this.rootV6 = rootV6;
    this.collections = collections;
    this.blocks = blocks;
  }

  /** Nodes in the table, the null node included. */
  get nodes(): number {
    return this.cells.length / NODE_WORDS;
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
    // same two loads a real node does.
    for (let level = 0; level < levels; level++) {
      const bit = level * STRIDE;
      const b = ((bytes[offset + (bit >> 3)] as number) >> (8 - STRIDE - (bit & 7))) & CHUNK_MASK;
      let k = sourcePrefix - bit;
      k = Math.max(0, Math.min(k, STRIDE));
      const base = node * NODE_WORDS;
      const here = cells[base + ((1 << k) | (b >> (STRIDE - k)))] as number;
      best = here === -1 ? best : here; // a block found deeper is longer
      const down = cells[base + DOWN_OFFSET + b] as number;
      const s = down & SCOPE_MASK;
      scope = Math.max(s, scope);
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
// Compiling (not a hot path: allocates freely)

/** Answer values while compiling: a collection, -1 (default), or these. */
const NOT_UNIFORM = -2;
/** The IPv6 block ::/48 holds the mapped IPv4 space, answered from the IPv4 blocks. */
const MIXED = -3;

interface BuildNode {
  readonly best: Int32Array;
  readonly children: (BuildNode | null)[];
  /** Uniform answer per tree position (see the layout), filled by `uniformity`. */
  readonly uniform: Int32Array;
  readonly scope: Int32Array;
  index: number;
}

function newNode(): BuildNode {
  return {
    best: new Int32Array(BEST_WORDS).fill(-1),
    children: new Array<BuildNode | null>(FANOUT).fill(null),
    uniform: new Int32Array(BEST_WORDS),
    scope: new Int32Array(FANOUT),
    index: 0,
  };
}

/**
 * Compiles `collections` (each a list of CIDR blocks) into a CidrTable;
 * `match` then returns indices into `collections`. Throws a CidrTableError
 * naming the first bad value.
 */
export function compileCidrTable(collections: readonly CidrCollection[]): CidrTable {
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
      const key = `${family}:${Array.from(bytes.subarray(0, Math.ceil(length / 8))).join('.')}/${length}`;
      const before = seen.get(key);
      if (before !== undefined) {
        if (before.collection === c) return;
        throw new CidrTableError(
          path,
          `"${text}" is also in collection ${before.collection} (${before.path}): a block belongs to one collection`,
        );
      }
      seen.set(key, { collection: c, path });
      insert(family === AddressFamily.IPv4 ? roots[0] : roots[1], bytes, length, c);
      blocks++;
    });
  });
  // The IPv6 path to ::/48 always exists: that slot is MIXED (see below).
  let n = roots[1];
  for (let level = 0; level < V6_LEVELS - 1; level++) n = n.children[0] ?? (n.children[0] = newNode());
  uniformity(roots[0], 0, V4_LEVELS, -1, false);
  uniformity(roots[1], 0, V6_LEVELS, -1, true);
  assignScopes(roots[0], 0, 0);
  assignScopes(roots[1], 0, 0);

  const order: BuildNode[] = [newNode()]; // the null node, index 0
  const number = (node: BuildNode): void => {
    node.index = order.length;
    order.push(node);
    for (const child of node.children) if (child !== null) number(child);
  };
  number(roots[0]);
  number(roots[1]);
  const cells = new Int32Array(order.length * NODE_WORDS);
  for (const node of order) {
    const base = node.index * NODE_WORDS;
    cells.set(node.best, base);
    for (let b = 0; b < FANOUT; b++) {
      const child = node.children[b] ?? null;
      cells[base + DOWN_OFFSET + b] = ((child === null ? 0 : child.index) << SCOPE_BITS) | (node.scope[b] as number);
    }
  }
  return new CidrTable(cells, roots[0].index, roots[1].index, collections.length, blocks);
}

/** The level's STRIDE bits of a key's bytes. */
function chunk(bytes: Uint8Array, level: number): number {
  const bit = level * STRIDE;
  return ((bytes[bit >> 3] as number) >> (8 - STRIDE - (bit & 7))) & CHUNK_MASK;
}

/** Writes the block into every tree position it covers at its last level, where it is the longest. */
function insert(root: BuildNode, bytes: Uint8Array, length: number, collection: number): void {
  let node = root;
  let level = 0;
  while (length > STRIDE * level + STRIDE) {
    const b = chunk(bytes, level);
    node = node.children[b] ?? (node.children[b] = newNode());
    level++;
  }
  const k = length - STRIDE * level;
  const packed = (collection << LENGTH_BITS) | length;
  const top = (1 << k) | (chunk(bytes, level) >> (STRIDE - k));
  for (let depth = k; depth <= STRIDE; depth++) {
    const first = top << (depth - k);
    const last = (top + 1) << (depth - k);
    for (let pos = first; pos < last; pos++) {
      const old = node.best[pos] as number;
      if (old === -1 || (old & LENGTH_MASK) < length) node.best[pos] = packed;
    }
  }
}

/**
 * Fills `node.uniform`: per tree position, the one answer every address
 * under it gets at full length, or NOT_UNIFORM. Returns the node's own
 * (position 1). `inherited` is the best block from the levels above;
 * `zeroPath`: the node is on the IPv6 path to ::/48.
 */
function uniformity(node: BuildNode, level: number, levels: number, inherited: number, zeroPath: boolean): number {
  const u = node.uniform;
  for (let b = 0; b < FANOUT; b++) {
    const here = node.best[FANOUT + b] as number;
    const best = here === -1 ? inherited : here;
    const child = node.children[b] ?? null;
    let answer = best === -1 ? -1 : best >> LENGTH_BITS;
    if (child !== null) answer = uniformity(child, level + 1, levels, best, zeroPath && b === 0);
    // ::/48: its mapped addresses are answered from the IPv4 blocks, the
    // rest from the IPv6 ones, so no scope of 48 bits or less is uniform.
    if (zeroPath && level === levels - 1 && b === 0) answer = MIXED;
    u[FANOUT + b] = answer;
  }
  for (let pos = FANOUT - 1; pos >= 1; pos--) {
    const l = u[2 * pos] as number;
    u[pos] = l === u[2 * pos + 1] && l !== NOT_UNIFORM && l !== MIXED ? l : NOT_UNIFORM;
  }
  return u[1] as number;
}

/** Fills `node.scope[b]` from `node.uniform` (see the layout); `above` is the scope if the whole node is uniform. */
function assignScopes(node: BuildNode, level: number, above: number): void {
  const u = node.uniform;
  for (let b = 0; b < FANOUT; b++) {
    const answer = u[FANOUT + b] as number;
    let scope = 0;
    if (answer === MIXED) {
      scope = MAPPED_PREFIX; // a non-mapped address in ::/48: the /96 leaves the mapped space out
    } else if (answer !== NOT_UNIFORM) {
      let pos = FANOUT + b;
      let k = STRIDE;
      while (k > 0 && u[pos >> 1] === answer) {
        pos >>= 1;
        k--;
      }
      scope = k === 0 ? above : STRIDE * level + k;
    }
    node.scope[b] = scope;
    const child = node.children[b] ?? null;
    if (child !== null) assignScopes(child, level + 1, scope);
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

/**
 * Parses an IPv4 (dotted quad) or IPv6 address in `text[start, end)` into
 * `out[0..4)` or `out[0..16)`; returns its AddressFamily, or 0 if it is not
 * one. Allocates nothing, so it can read a socket's address per query.
 * No zone (`%eth0`), no leading zeros in IPv4 (ambiguous: octal or not).
 */
export function parseAddressInto(text: string, start: number, end: number, out: Uint8Array): AddressFamily | 0 {
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === 0x3a) return parseV6(text, start, end, out) ? AddressFamily.IPv6 : 0;
  }
  return parseV4(text, start, end, out, 0) ? AddressFamily.IPv4 : 0;
}

function parseV4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

function parseV6(text: string, start: number, end: number, out: Uint8Array): boolean {
  let n = 0; // bytes written
  let gap = -1; // byte index where '::' stood
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === 0x3a) {
    if (text.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0, 0, 16);
      return true;
    }
  }
  for (;;) {
    // One group: hex digits, or a dotted IPv4 tail.
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const d = hex(text.charCodeAt(j));
      if (d < 0) break;
      value = (value << 4) | d;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === 0x2e) {
      if (n > 12 || !parseV4(text, i, end, out, n)) return false;
      n += 4;
      break;
    }
    if (digits === 0 || digits > 4 || n > 14) return false;
    out[n++] = value >> 8;
    out[n++] = value & 0xff;
    if (j === end) break;
    if (text.charCodeAt(j) !== 0x3a) return false;
    if (j + 1 < end && text.charCodeAt(j + 1) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false;
    }
  }
  if (gap < 0) return n === 16;
  if (n === 16) return false; // '::' must stand for at least one group
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[15 - k] = out[n - 1 - k] as number;
  out.fill(0, gap, 16 - tail);
  return true;
}

/** An address's text (allocates): dotted quad, or IPv6 groups in hex with the longest zero run as '::'. */
export function formatAddress(family: AddressFamily, bytes: Uint8Array, offset = 0): string {
  if (family === AddressFamily.IPv4) return Array.from(bytes.subarray(offset, offset + 4)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 8; i++)
    groups.push(((bytes[offset + 2 * i] as number) << 8) | (bytes[offset + 2 * i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}
