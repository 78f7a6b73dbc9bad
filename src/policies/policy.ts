import type { Decision } from './decision.js';
import type { LogState } from './log-state.js';

/** Names of the five algorithms, as used in keys, scripts, headers and reports. */
export type Algorithm = 'fixed-window' | 'sliding-log' | 'sliding-window' | 'token-bucket' | 'leaky-bucket';

/**
 * Mutable per-key state. Counter policies use `stateSize` numbers starting at
 * `at` in a shared `Float64Array`, so a store holds millions of keys without
 * one object each; the sliding log (`stateSize` 0) keeps its log at index `at`
 * of a {@link LogState}, which holds the logs of many keys in the same way.
 */
export type StateVector = Float64Array | LogState;

/**
 * The exact math of one algorithm. `decide` is deterministic and does no I/O:
 * it reads the key's state, and when `commit` is true and the request is
 * admitted, writes the new state back in place. A denial or a peek
 * (`commit: false`) leaves the decisions of the state untouched (the sliding
 * log may drop entries that have left its window, which changes no decision).
 *
 * A request of cost 0 spends nothing and is always admitted: its decision
 * describes the state as it is (what is admissible now, how long until the
 * key is new again, no wait and no delay). Limit sets report the limits that
 * would have admitted a denied request this way.
 */
export interface Policy {
  readonly algorithm: Algorithm;
  /** The limit (windows) or capacity (buckets): the most units one key can hold. */
  readonly limit: number;
  /** Window length; for buckets, the time an empty bucket takes to refill completely. */
  readonly windowMs: number;
  /** Numbers of state per key in a slot array; 0 for the sliding log's {@link LogState}. */
  readonly stateSize: number;
  /** Parameters that fully define the math, in the order the Redis script reads them. */
  readonly params: readonly number[];
  /** Writes the state of a key never seen before (full capacity). */
  init(state: StateVector, at: number): void;
  /**
   * Decides one request of `cost` units at `nowMs` (a whole number of ms).
   * `cost` must already be a validated integer in `[0, limit]`.
   */
  decide(state: StateVector, at: number, nowMs: number, cost: number, commit: boolean): Decision;
  /**
   * Gives back up to `cost` units that the admission `admitted` (a decision
   * of this policy on this key) spent, exactly as if it had never been
   * admitted where the algorithm can tell: never more than it spent, never
   * into a later window, never below empty.
   */
  refund(state: StateVector, at: number, nowMs: number, cost: number, admitted: Admission): void;
  /**
   * The same policy with its limit split into `count` parts, for part `index`
   * (hot-key sharding). Parts add up to the whole limit.
   */
  part(index: number, count: number): Policy;
}

/** What a refund needs to know of the admission it undoes: two fields of its {@link Decision}. */
export interface Admission {
  /** The admission's instant; NaN for the key's latest admission, whatever it was. */
  readonly atMs: number;
  readonly resetMs: number;
}

/** What to give back in one limit: `cost` units of an admission. */
export interface Refund extends Admission {
  readonly cost: number;
}

/** Splits `total` into `count` whole parts that differ by at most one and add up to `total`. */
export function share(total: number, index: number, count: number): number {
  const base = Math.floor(total / count);
  return base + (index < total % count ? 1 : 0);
}
