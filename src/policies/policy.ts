import type { Decision } from './decision.js';

/** Names of the five algorithms, as used in keys, scripts, headers and reports. */
export type Algorithm = 'fixed-window' | 'sliding-log' | 'sliding-window' | 'token-bucket' | 'leaky-bucket';

/**
 * Mutable per-key state. Counter policies use `stateSize` numbers starting at
 * `at` in a shared `Float64Array`, so a store holds millions of keys without
 * one object each; the sliding log uses its own `number[]` of timestamps.
 */
export type StateVector = Float64Array | number[];

/**
 * The exact math of one algorithm. `decide` is deterministic and does no I/O:
 * it reads the key's state, and when `commit` is true and the request is
 * admitted, writes the new state back in place. A denial or a peek
 * (`commit: false`) leaves the state untouched.
 */
export interface Policy {
  readonly algorithm: Algorithm;
  /** The limit (windows) or capacity (buckets): the most units one key can hold. */
  readonly limit: number;
  /** Window length; for buckets, the time an empty bucket takes to refill completely. */
  readonly windowMs: number;
  /** Numbers of state per key in a slot array; 0 for the sliding log's variable-length log. */
  readonly stateSize: number;
  /** Parameters that fully define the math, in the order the Redis scripts read them. */
  readonly params: readonly number[];
  /** Writes the state of a key never seen before (full capacity). */
  init(state: StateVector, at: number): void;
  /**
   * Decides one request of `cost` units at `nowMs` (a whole number of ms).
   * `cost` must already be a validated integer in `[1, limit]`.
   */
  decide(state: StateVector, at: number, nowMs: number, cost: number, commit: boolean): Decision;
  /**
   * The same policy with its limit split into `count` parts, for part `index`
   * (hot-key sharding). Parts add up to the whole limit.
   */
  part(index: number, count: number): Policy;
}

/** Splits `total` into `count` whole parts that differ by at most one and add up to `total`. */
export function share(total: number, index: number, count: number): number {
  const base = Math.floor(total / count);
  return base + (index < total % count ? 1 : 0);
}
