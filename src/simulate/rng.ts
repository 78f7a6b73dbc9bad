/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same
 * traffic on every machine, so a simulation is reproducible from its command line.
 *
 * @example
 * const rng = seededRandom(42);
 * rng.next(); // a float in [0, 1)
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number;
  /** An exponentially distributed wait with the given mean: Poisson inter-arrival times. */
  exponential(mean: number): number;
}

/** Builds a {@link Rng} from a 32-bit seed. */
export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    // 1 - u is in (0, 1], so the logarithm is finite.
    exponential: (mean) => -Math.log(1 - next()) * mean,
  };
}
