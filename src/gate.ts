import type { StoreCost } from './costs.js';
import type { Decision } from './policies/decision.js';
import type { Refund } from './policies/policy.js';

/**
 * The limiter's path to its store, once keys are named: a `BoundStore`, or
 * a decorator around one (the denial cache, sharding). `shardKey` routes a
 * sharded call; `admitted` is the decision a refund undoes. Stores ignore both.
 */
export interface Gate {
  /** True when every call answers synchronously and ignores its deadline (see `BoundStore.synchronous`). */
  readonly synchronous?: boolean;
  limit(keys: readonly string[], cost: StoreCost, deadline: number, shardKey?: string): Decision | Promise<Decision>;
  peek(keys: readonly string[], deadline: number, shardKey?: string): Decision | Promise<Decision>;
  refund(
    keys: readonly string[],
    refunds: readonly (Refund | undefined)[],
    deadline: number,
    shardKey?: string,
    admitted?: Decision,
  ): undefined | Promise<void>;
  reset(keys: readonly string[], deadline: number): undefined | Promise<void>;
}
