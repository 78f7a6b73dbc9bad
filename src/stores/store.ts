import type { StoreCost } from '../costs.js';
import type { Decision } from '../policies/decision.js';
import type { LimitSpec } from '../policies/limit-set.js';
import type { Refund } from '../policies/policy.js';

/** What a {@link RateLimiter} tells its store once, at construction. */
export interface StoreBinding {
  /** Key namespace of the limiter, e.g. `'flowgate'` or `'flowgate:shard3'`. */
  readonly prefix: string;
  /**
   * The limits every request is decided against, all or nothing: one for a
   * limiter with a `policy`, several for a limiter with `limits`.
   */
  readonly limits: readonly LimitSpec[];
  /**
   * The limiter's clock when the user passed one explicitly; `undefined` means
   * "use the store's own time" (`Date.now` in memory, `TIME` in Redis).
   */
  readonly clock: (() => number) | undefined;
  /**
   * Redis Cluster: a hash tag shared by every key of the binding, so that a
   * request's limits are always decided by one script. `undefined`: each
   * logical key is its own tag.
   */
  readonly hashTag?: string | undefined;
  /**
   * Internal (`flowgate serve`): name each limit's state by prefix,
   * algorithm, unit and key only, as for a limiter with one policy, not by
   * the limit's name. Every binding of the store that names a key the same
   * then shares its state (on memory too, as Redis keys are shared), so a
   * limit keeps its state whichever set it is part of and across limits
   * changed in place. The caller keeps the keys of one request distinct.
   */
  readonly sharedState?: boolean;
}

/**
 * A store's view of one limiter's keys. `keys[i]` is the key of limit `i`;
 * the array is only read during the call. Results may be synchronous (memory)
 * or promises (Redis). `deadline` is when the caller gives up, on
 * `performance.now()`'s clock (`Infinity`: never); a store that can still
 * commit after it must not (the Redis store carries it to the server).
 */
export interface BoundStore {
  /**
   * True when every call answers synchronously (never a promise) and so
   * ignores its deadline: the limiter then reads no clock for one. Absent
   * means the calls may be asynchronous.
   */
  readonly synchronous?: boolean;
  /**
   * Decides a request of `cost` units (validated by the limiter: one number
   * for every limit, or one per limit in declaration order, 0 where the
   * request does not count) against every limit and, if every enforced limit
   * admits its own cost, records it in each (a shadow limit records it only
   * if it admits it too), all in one atomic step. With one limit, the answer
   * is that policy's decision; with several, their combination
   * (`combineDecisions`).
   */
  limit(keys: readonly string[], cost: StoreCost, deadline: number): Decision | Promise<Decision>;
  /** What `limit(keys, 1)` would decide now; writes nothing that changes a decision. */
  peek(keys: readonly string[], deadline: number): Decision | Promise<Decision>;
  /**
   * Gives back, in each limit `i` whose `refunds[i]` is defined, up to its
   * `cost` units spent by its admission (see `Policy.refund`).
   */
  refund(
    keys: readonly string[],
    refunds: readonly (Refund | undefined)[],
    deadline: number,
  ): undefined | Promise<void>;
  /** Forgets the keys. */
  reset(keys: readonly string[], deadline: number): undefined | Promise<void>;
}

/** Where state lives. Implemented by `MemoryStore` and `RedisStore` (`flowgate/redis`). */
export interface Store {
  bind(binding: StoreBinding): BoundStore;
}
