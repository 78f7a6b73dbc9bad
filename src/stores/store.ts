import type { Decision } from '../policies/decision.js';
import type { Policy } from '../policies/policy.js';

/** What a {@link RateLimiter} tells its store once, at construction. */
export interface StoreBinding {
  /** Key namespace of the limiter, e.g. `'flowgate'` or `'flowgate:shard3'`. */
  readonly prefix: string;
  readonly policy: Policy;
  /**
   * The limiter's clock when the user passed one explicitly; `undefined` means
   * "use the store's own time" (`Date.now` in memory, `TIME` in Redis).
   */
  readonly clock: (() => number) | undefined;
}

/** A store's view of one limiter's keys. Results may be synchronous (memory) or promises (Redis). */
export interface BoundStore {
  /** Decides a request of `cost` units (validated by the limiter) and records it if admitted. */
  limit(key: string, cost: number): Decision | Promise<Decision>;
  /** What `limit(key, 1)` would decide now; writes nothing. */
  peek(key: string): Decision | Promise<Decision>;
  /** Forgets the key. */
  reset(key: string): undefined | Promise<void>;
}

/** Where state lives. Implemented by `MemoryStore` and `RedisStore` (`flowgate/redis`). */
export interface Store {
  bind(binding: StoreBinding): BoundStore;
}
