import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AddressFamily,
  CIDR_MATCH_LENGTH,
  CidrMatch,
  compileCidrTable,
  formatAddress,
  MAX_IPV4_BLOCK,
  MAX_IPV6_BLOCK,
} from '../src/resolve/cidr-table.js';

/**
 * The trie against a naive model: a list of blocks scanned for the longest
 * one no longer than the client's source prefix, and an ECS scope found by
 * trying every length from 0 up until the block around the address holds
 * one answer at full length (the answer can only change at a block's start
 * or end, so checking those points is exact).
 */

interface Block {
  family: AddressFamily;
  /** The top 24 (IPv4) or 48 (IPv6) bits, as a number. */
  key: number;
  length: number;
  collection: number;
}

const WIDTH = { [AddressFamily.IPv4]: MAX_IPV4_BLOCK, [AddressFamily.IPv6]: MAX_IPV6_BLOCK } as const;
const MIXED = -3;

function keyOf(bytes: Uint8Array, offset: number, width: number): number {
  let key = 0;
  for (let i = 0; i < width / 8; i++) key = key * 256 + (bytes[offset + i] as number);
  return key;
}

function covers(block: Block, key: number, width: number): boolean {
  const size = 2 ** (width - block.length);
  return Math.floor(key / size) === Math.floor(block.key / size);
}

class NaiveModel {
  readonly blocks: Block[];
  constructor(blocks: Block[]) {
    this.blocks = blocks;
  }
  longest(family: AddressFamily, key: number, source: number): Block | null {
    const width = WIDTH[family];
    let best: Block | null = null;
    for (const b of this.blocks) {
      if (b.family !== family || b.length > source || !covers(b, key, width)) continue;
      if (best === null || b.length > best.length) best = b;
    }
    return best;
  }
  /** The full-length answer at a key: a collection, -1, or MIXED for IPv6 ::/48. */
  answer(family: AddressFamily, key: number): number {
    if (family === AddressFamily.IPv6 && key === 0) return MIXED;
    return this.longest(family, key, WIDTH[family])?.collection ?? -1;
  }
  scope(family: AddressFamily, key: number): number {
    const width = WIDTH[family];
    const points: number[] = [];
    for (const b of this.blocks) {
      if (b.family !== family) continue;
      const size = 2 ** (width - b.length);
      points.push(b.key, b.key + size);
    }
    if (family === AddressFamily.IPv6) points.push(0, 1);
    const mine = this.answer(family, key);
    for (let s = 0; s <= width; s++) {
      const size = 2 ** (width - s);
      const start = Math.floor(key / size) * size;
      let uniform = this.answer(family, start) === mine;
      for (const p of points) {
        if (!uniform) break;
        if (p > start && p < start + size && this.answer(family, p) !== mine) uniform = false;
      }
      if (uniform) return s;
    }
    throw new Error('unreachable: one key is always uniform');
  }
}

function cidrText(block: Block): string {
  const bytes = new Uint8Array(16);
  const width = WIDTH[block.family];
  let key = block.key;
  for (let i = width / 8 - 1; i >= 0; i--) {
    bytes[i] = key % 256;
    key = Math.floor(key / 256);
  }
  return `${formatAddress(block.family, bytes)}/${block.length}`;
}

const blockArb = (family: AddressFamily) =>
  fc
    .record({
      raw: fc.integer({ min: 0, max: 2 ** WIDTH[family] - 1 }),
      length: fc.integer({ min: 1, max: WIDTH[family] }),
      collection: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ raw, length, collection }) => {
      const size = 2 ** (WIDTH[family] - length);
      return { family, key: Math.floor(raw / size) * size, length, collection };
    });

/** Blocks, some nested inside earlier ones so longest-prefix and scope have work to do. */
const tableArb = fc
  .tuple(
    fc.array(fc.oneof(blockArb(AddressFamily.IPv4), blockArb(AddressFamily.IPv6)), { maxLength: 30 }),
    fc.array(
      fc.record({
        parent: fc.nat(),
        extra: fc.integer({ min: 1, max: 20 }),
        raw: fc.double({ min: 0, max: 1, noNaN: true }),
        collection: fc.integer({ min: 0, max: 5 }),
      }),
      { maxLength: 30 },
    ),
  )
  .map(([roots, nested]) => {
    const blocks: Block[] = [...roots];
    for (const n of nested) {
      if (blocks.length === 0) break;
      const p = blocks[n.parent % blocks.length] as Block;
      const width = WIDTH[p.family];
      const length = Math.min(width, p.length + n.extra);
      const parentSize = 2 ** (width - p.length);
      const size = 2 ** (width - length);
      const key = p.key + Math.floor((n.raw * parentSize) / size) * size;
      blocks.push({
        family: p.family,
        key: Math.min(key, p.key + parentSize - size),
        length,
        collection: n.collection,
      });
    }
    // One collection per block, the first wins (the table rejects a block in two).
    const seen = new Set<string>();
    return blocks.filter((b) => {
      const id = `${b.family}:${b.key}/${b.length}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  });

interface Query {
  bytes: Uint8Array;
  family: AddressFamily;
  source: number;
}

/** Random addresses, some inside a block, some IPv4-mapped, some in ::/48; bits beyond the source prefix zeroed as ECS sends them. */
const queryArb = fc.record({
  kind: fc.constantFrom('v4', 'v6', 'mapped', 'inside', 'zero48'),
  bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  pick: fc.nat(),
  source: fc.double({ min: 0, max: 1, noNaN: true }),
  full: fc.boolean(),
});
type RawQuery = { kind: string; bytes: Uint8Array; pick: number; source: number; full: boolean };

function makeQuery(q: RawQuery, blocks: Block[]): Query {
  const bytes = Uint8Array.from(q.bytes);
  let family: AddressFamily = AddressFamily.IPv6;
  let low = 0;
  if (q.kind === 'v4') family = AddressFamily.IPv4;
  if (q.kind === 'mapped') {
    bytes.fill(0, 0, 10);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    low = 96;
  }
  if (q.kind === 'zero48') bytes.fill(0, 0, 6);
  if (q.kind === 'inside' && blocks.length > 0) {
    const b = blocks[q.pick % blocks.length] as Block;
    family = b.family;
    const width = WIDTH[family];
    let key = b.key + (q.pick % 2 ** (width - b.length));
    for (let i = width / 8 - 1; i >= 0; i--) {
      bytes[i] = key % 256;
      key = Math.floor(key / 256);
    }
  }
  const max = family === AddressFamily.IPv4 ? 32 : 128;
  const source = q.full ? max : low + Math.round(q.source * (max - low));
  for (let bit = source; bit < max; bit++) bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return { bytes, family, source };
}

function expected(model: NaiveModel, query: Query): { collection: number; blockLength: number; scope: number } {
  const { bytes, family, source } = query;
  const mapped =
    family === AddressFamily.IPv6 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  if (family === AddressFamily.IPv4 || mapped) {
    const at = mapped ? 12 : 0;
    const key = keyOf(bytes, at, MAX_IPV4_BLOCK);
    const best = model.longest(AddressFamily.IPv4, key, source - (mapped ? 96 : 0));
    return {
      collection: best?.collection ?? -1,
      blockLength: best?.length ?? 0,
      scope: (mapped ? 96 : 0) + model.scope(AddressFamily.IPv4, key),
    };
  }
  const key = keyOf(bytes, 0, MAX_IPV6_BLOCK);
  const best = model.longest(AddressFamily.IPv6, key, source);
  return {
    collection: best?.collection ?? -1,
    blockLength: best?.length ?? 0,
    scope: key === 0 ? 96 : model.scope(AddressFamily.IPv6, key),
  };
}

describe('CidrTable longest-prefix match', () => {
  it('matches a naive scan of the blocks, with the exact ECS scope, for IPv4, IPv6 and IPv4-mapped clients', () => {
    fc.assert(
      fc.property(tableArb, fc.array(queryArb, { minLength: 1, maxLength: 40 }), (blocks, queries) => {
        const collections = Array.from({ length: 6 }, (_, c) => ({
          cidrs: blocks.filter((b) => b.collection === c).map(cidrText),
        }));
        const table = compileCidrTable(collections);
        const model = new NaiveModel(blocks);
        const out = new Int32Array(CIDR_MATCH_LENGTH);
        for (const q of queries) {
          const query = makeQuery(q, blocks);
          const collection = table.match(query.family, query.bytes, 0, query.source, out);
          const got = { collection, blockLength: out[CidrMatch.BLOCK_LENGTH], scope: out[CidrMatch.SCOPE] };
          const want = expected(model, query);
          if (got.collection !== want.collection || got.blockLength !== want.blockLength || got.scope !== want.scope) {
            expect({ address: formatAddress(query.family, query.bytes), source: query.source, ...got }).toEqual({
              address: formatAddress(query.family, query.bytes),
              source: query.source,
              ...want,
            });
          }
        }
      }),
      { numRuns: 300, seed: 0x1d7 },
    );
  });

  it('follows Route 53: a longer client prefix matches a shorter block, a shorter one does not', () => {
    const table = compileCidrTable([{ cidrs: ['2001:db8::/32'] }, { cidrs: ['2001:db8:1234::/48', '10.0.0.0/8'] }]);
    expect(table.matchText('2001:db8:1234::', 48)).toEqual({ collection: 1, blockLength: 48, scope: 48 });
    // The /48 is too long for a /32 client; scope 36 is where 2001:db8:0::/36 stops holding it.
    expect(table.matchText('2001:db8::', 32)).toEqual({ collection: 0, blockLength: 32, scope: 36 });
    expect(table.matchText('2001:db9::')).toEqual({ collection: -1, blockLength: 0, scope: 32 });
    expect(table.matchText('10.2.3.4')).toEqual({ collection: 1, blockLength: 8, scope: 8 });
    expect(table.matchText('::ffff:10.2.3.4')).toEqual({ collection: 1, blockLength: 8, scope: 104 });
    expect(table.matchText('::1')).toEqual({ collection: -1, blockLength: 0, scope: 96 });
  });

  it('scopes a match by the nested blocks it is not in (RFC 7871: never overlapping answers)', () => {
    const table = compileCidrTable([{ cidrs: ['10.0.0.0/8'] }, { cidrs: ['10.1.0.0/16'] }]);
    expect(table.matchText('10.2.3.0', 24)).toEqual({ collection: 0, blockLength: 8, scope: 15 });
    expect(table.matchText('10.1.3.0', 24)).toEqual({ collection: 1, blockLength: 16, scope: 16 });
    // A /12 client does not match the /16 (too long for it), and is told a /16 would decide.
    expect(table.matchText('10.0.0.0', 12)).toEqual({ collection: 0, blockLength: 8, scope: 16 });
    expect(table.matchText('11.0.0.0', 24)).toEqual({ collection: -1, blockLength: 0, scope: 8 });
  });
});
