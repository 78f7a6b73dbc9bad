import type { IssueList } from '../errors.js';

/**
 * Exact time for rates whose interval is not a whole number of milliseconds.
 *
 * A rate of p/q units per second has an interval of 1000q/p ms. flowgate counts
 * time for buckets in ticks of 1/`ticksPerMs` ms, the coarsest tick in which
 * both one millisecond and one interval are whole numbers, so every sum stays
 * an exact integer. At 3/s a tick is 1/3 ms and an interval 1000 ticks.
 */
export interface TickRate {
  /** Ticks in one millisecond. */
  readonly ticksPerMs: number;
  /** Ticks between two units of refill (or leak). */
  readonly intervalTicks: number;
}

/** Finest tick allowed: keeps tick counts within 2^53 for clocks within ±69 years of 2026. */
export const MAX_TICKS_PER_MS = 4096;

/** 2026-01-01T00:00:00Z. Bucket state is counted in ticks from here to stay within 2^53. */
export const TICK_EPOCH_MS = 1_767_225_600_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The fraction p/q with the smallest q whose quotient is exactly the double
 * `value`, by continued fractions; so `100 / 60` becomes 5/3 and `0.375` 3/8.
 */
export function toFraction(value: number): [number, number] | undefined {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = value;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(x);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (h1 / k1 === value) return [h1, k1];
    if (k1 > 1e9 || x === a) return undefined;
    x = 1 / (x - a);
  }
  return undefined;
}

/**
 * Converts units per second into a tick rate, or records why it cannot.
 * @returns `undefined` after recording an issue.
 */
export function tickRate(issues: IssueList, option: string, perSecond: unknown): TickRate | undefined {
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) {
    issues.add(
      'FG_RATE_INVALID',
      option,
      perSecond,
      'a positive finite number of units per second, e.g. 10 or 100 / 60',
    );
    return undefined;
  }
  const fraction = toFraction(perSecond);
  const [p, q] = fraction ?? [Number.NaN, Number.NaN];
  const g = fraction ? gcd(1000 * q, p) : 1;
  const ticksPerMs = p / g;
  if (!fraction || !(ticksPerMs <= MAX_TICKS_PER_MS)) {
    issues.add(
      'FG_RATE_TOO_FINE',
      option,
      perSecond,
      `a rate whose interval is a multiple of 1/${MAX_TICKS_PER_MS} ms, so it can be counted exactly (e.g. 1000, 4000, 2.5 or 100 / 60)`,
    );
    return undefined;
  }
  return { ticksPerMs, intervalTicks: (1000 * q) / g };
}
