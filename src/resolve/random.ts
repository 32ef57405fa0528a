import { randomInt } from 'node:crypto';

/**
 * A source of uniform random numbers in [0, 1), like Math.random. The
 * resolver takes one so tests can fix the sequence.
 */
export type RandomSource = () => number;

/** A uniform whole number in [0, n), for n ≥ 1. What the selectors draw. */
export type PickIndex = (n: number) => number;

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
 * The resolver's default draw: mulberry32 with its state in an Int32Array,
 * returning a small integer. Both matter on the hot path: a double returned
 * from a call V8 doesn't inline is boxed (16 bytes a draw, measured), and so
 * is an int32 stored in a closure variable outside the small-integer range;
 * a typed-array slot and a small integer return allocate nothing.
 */
export function fastPicker(seed: number = randomInt(0x7fffffff)): PickIndex {
  const state = new Int32Array(1);
  state[0] = seed | 0;
  return (n: number): number => {
    const a = ((state[0] as number) + 0x6d2b79f5) | 0;
    state[0] = a;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Draws from a caller's RandomSource (tests); may allocate if V8 doesn't inline it. */
export function pickerFrom(random: RandomSource): PickIndex {
  return (n: number): number => Math.floor(random() * n);
}
