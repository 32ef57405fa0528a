/**
 * Every name of a plan, found by its key bytes: the question scanner hashes
 * the lower-cased name as it reads it, and a probe here returns the plan's
 * own string for it. The resolver is then handed a string whose hash V8 has
 * already cached (it is a key of the plan's maps), instead of a new string
 * per query that must be built and hashed first: about 150 ns of a ~750 ns
 * fast-path query on the project machine.
 *
 * Layout: open addressing, linear probing, at most half full.
 *
 *   slots  Int32Array(2^k)   entry index, or -1 for empty
 *   hash   Int32Array(n)     FNV-1a of entry i's bytes
 *   start  Uint32Array(n+1)  entry i's bytes are bytes[start[i], start[i+1])
 *   bytes  Uint8Array        every name, latin1, back to back
 *   names  string[n]         the plan's strings
 */
import { FNV_OFFSET, FNV_PRIME } from './wire.js';

export interface NameTable {
  readonly slots: Int32Array;
  readonly hash: Int32Array;
  readonly start: Uint32Array;
  readonly bytes: Uint8Array;
  readonly names: readonly string[];
}

function fnv(bytes: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME);
  return h;
}

/** A table of `names` (lower case, no trailing dot, as a plan holds them). */
export function buildNameTable(names: Iterable<string>): NameTable {
  const list = [...names];
  const encoded = list.map((n) => Buffer.from(n, 'latin1'));
  const start = new Uint32Array(list.length + 1);
  for (let i = 0; i < list.length; i++) start[i + 1] = (start[i] as number) + (encoded[i] as Buffer).length;
  const bytes = new Uint8Array(start[list.length] as number);
  encoded.forEach((b, i) => bytes.set(b, start[i] as number));
  let size = 8;
  while (size < list.length * 2) size *= 2;
  const slots = new Int32Array(size).fill(-1);
  const hash = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const h = fnv(bytes, start[i] as number, start[i + 1] as number);
    hash[i] = h;
    let at = h & (size - 1);
    while (slots[at] !== -1) at = (at + 1) & (size - 1);
    slots[at] = i;
  }
  return { slots, hash, start, bytes, names: list };
}

/**
 * The plan's string for the `length` key bytes in `key` whose hash is `h`,
 * or null when the plan has no such name. Allocates nothing.
 */
export function findName(t: NameTable, key: Uint8Array, length: number, h: number): string | null {
  const slots = t.slots;
  const mask = slots.length - 1;
  for (let at = h & mask; ; at = (at + 1) & mask) {
    const e = slots[at] as number;
    if (e < 0) return null;
    if (t.hash[e] !== h) continue;
    const from = t.start[e] as number;
    if ((t.start[e + 1] as number) - from !== length) continue;
    const bytes = t.bytes;
    let i = 0;
    while (i < length && bytes[from + i] === key[i]) i++;
    if (i === length) return t.names[e] as string;
  }
}
