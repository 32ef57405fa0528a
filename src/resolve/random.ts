import { randomInt } from 'node:crypto';

/**
 * A source of uniform random numbers in [0, 1), like Math.random. The
 * resolver takes one so tests can fix the sequence.
 */
export type RandomSource = () => number;

/**
 * A small, fast, seeded generator (mulberry32) of numbers in [0, 1).
 * Deterministic for a seed; good enough to spread DNS answers, not for
 * anything secret.
 */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The resolver's random state: mulberry32 with its state in an Int32Array,
 * or a caller's RandomSource (tests). Selectors draw through `pickIndex`, a
 * plain module function V8 can inline into them; a closure per resolver
 * could not be, and a double returned from a call V8 doesn't inline is boxed
 * (16 bytes a draw, measured), as is an int32 kept in a closure variable
 * outside the small-integer range. A typed-array slot and a small integer
 * result allocate nothing.
 */
export class RandomState {
  readonly state = new Int32Array(1);
  readonly custom: RandomSource | null;
  constructor(seed: number = randomInt(0x7fffffff), custom: RandomSource | null = null) {
    this.state[0] = seed | 0;
    this.custom = custom;
  }
}

/** A uniform whole number in [0, n), for n ≥ 1. */
export function pickIndex(rng: RandomState, n: number): number {
  if (rng.custom !== null) return Math.floor(rng.custom() * n);
  const s = rng.state;
  const a = ((s[0] as number) + 0x6d2b79f5) | 0;
  s[0] = a;
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}
