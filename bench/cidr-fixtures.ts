/**
 * Collections and client addresses for the CIDR table's benchmark and
 * allocation check, seeded so runs repeat.
 */
import {
  AddressFamily,
  type CidrCollection,
  type CidrTable,
  compileCidrTable,
  formatAddress,
  parseAddressInto,
  reuseOrCompileCidrTable,
} from '../src/resolve/cidr-table.js';
import { seededRandom } from '../src/resolve/random.js';

/** How many client addresses a lookup batch cycles through. */
export const POOL = 4096;

export interface CidrCase {
  readonly table: CidrTable;
  readonly collections: number;
  readonly compileMs: number;
  /** `reuseOrCompileCidrTable` on a fresh copy of the same collections: what an unchanged config pass costs. */
  readonly reuseMs: number;
  /** POOL addresses of one family, 16 bytes apart. */
  readonly addresses: Uint8Array;
  readonly family: AddressFamily;
  /** Source prefix per address: the full width, or what resolvers send (/24, /56). */
  readonly sources: Int32Array;
}

/**
 * `count` collections, each one IPv4 block (/12–/24) and one IPv6 block
 * (/24–/48, inside 2000::/4 so they share the upper levels as real
 * allocations do), random and distinct.
 */
export function cidrCollections(count: number, seed = 0xc1d7): CidrCollection[] {
  const random = seededRandom(seed);
  const seen = new Set<string>();
  const bytes = new Uint8Array(16);
  const block = (family: AddressFamily, min: number, max: number): string => {
    for (;;) {
      const length = min + Math.floor(random() * (max - min + 1));
      for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
      if (family === AddressFamily.IPv6) bytes[0] = 0x20 | ((bytes[0] as number) & 0x0f);
      for (let bit = length; bit < 128; bit++) bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7));
      const text = `${formatAddress(family, bytes)}/${length}`;
      if (!seen.has(text)) {
        seen.add(text);
        return text;
      }
    }
  };
  return Array.from({ length: count }, () => ({
    cidrs: [block(AddressFamily.IPv4, 12, 24), block(AddressFamily.IPv6, 24, 48)],
  }));
}

/**
 * A compiled table of `count` collections and POOL client addresses of
 * `family`: half inside a random block (the walk goes as deep as the table
 * does), half anywhere; half with the full width as source, half with a
 * resolver's ECS source (/24 or /56) and the bits past it zero.
 */
export function cidrCase(count: number, family: AddressFamily, seed = 0xc1d7): CidrCase {
  const collections = cidrCollections(count, seed);
  const started = performance.now();
  const table = compileCidrTable(collections);
  const compileMs = performance.now() - started;
  const copy = structuredClone(collections);
  const reuseStarted = performance.now();
  if (reuseOrCompileCidrTable(copy, table) !== table)
    throw new Error('cidr fixtures: an unchanged table was compiled again');
  const reuseMs = performance.now() - reuseStarted;
  const random = seededRandom(seed ^ 0x5eed);
  const addresses = new Uint8Array(POOL * 16);
  const sources = new Int32Array(POOL);
  const width = family === AddressFamily.IPv4 ? 32 : 128;
  const scratch = new Uint8Array(16);
  for (let i = 0; i < POOL; i++) {
    const at = i * 16;
    for (let j = 0; j < 16; j++) addresses[at + j] = Math.floor(random() * 256);
    if (i % 2 === 0) {
      const cidr = (collections[Math.floor(random() * count)] as CidrCollection).cidrs[
        family === AddressFamily.IPv4 ? 0 : 1
      ] as string;
      const [text, len] = cidr.split('/') as [string, string];
      scratch.fill(0);
      parseAddressInto(text, 0, text.length, scratch);
      const length = Number(len);
      for (let bit = 0; bit < length; bit++) {
        const mask = 0x80 >> (bit & 7);
        addresses[at + (bit >> 3)] =
          ((addresses[at + (bit >> 3)] as number) & ~mask) | ((scratch[bit >> 3] as number) & mask);
      }
    }
    const source = i % 4 < 2 ? width : family === AddressFamily.IPv4 ? 24 : 56;
    for (let bit = source; bit < width; bit++)
      addresses[at + (bit >> 3)] = (addresses[at + (bit >> 3)] as number) & ~(0x80 >> (bit & 7));
    sources[i] = source;
  }
  return { table, collections: count, compileMs, reuseMs, addresses, family, sources };
}
