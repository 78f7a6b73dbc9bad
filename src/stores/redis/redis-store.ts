import type { Decision } from '../../policies/decision.js';
import { IssueList, isOptionsObject } from '../../policies/errors.js';
import type { BoundStore, Store, StoreBinding } from '../store.js';
import { Batcher } from './batch.js';
import {
  clientKind,
  guardErrorEvents,
  isClusterClient,
  type RedisClientLike,
  type ScriptRunner,
  scriptRunner,
} from './client.js';
import { keyHead, redisKey } from './keys.js';
import { scriptFor } from './scripts.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster`, a connected node-redis (v4+) client from
   * `createClient()` or `createCluster()`, or any `{ sendCommand(args) }`.
   * If it has no 'error' listener, RedisStore attaches one that ignores the
   * event, so a lost connection cannot crash the process.
   */
  client: RedisClientLike;
  /**
   * With an explicit limiter `clock`, how many ms a key outlives its state.
   * Keys expire on the Redis server's time while the state is on the callers'
   * clocks; the margin lets a caller whose clock lags the others by up to this
   * much still find the state instead of a fresh key. Unused with the server's
   * `TIME`, where keys expire exactly when their state is back at full capacity.
   * @default 1000
   */
  expiryMarginMs?: number;
}

const KNOWN = ['client', 'expiryMarginMs'] as const satisfies readonly (keyof RedisStoreOptions)[];
const DEFAULT_EXPIRY_MARGIN_MS = 1000;
/** A day: a margin is for clock skew, not for keeping state. */
const MAX_EXPIRY_MARGIN_MS = 86_400_000;

/**
 * State in Redis or Redis Cluster: every decision is made by an atomic Lua
 * script (one round trip, `EVALSHA`, and `EVAL` only after `NOSCRIPT`); the
 * decisions asked for in one tick of the event loop share one script call
 * (per key on a cluster), each decided in order exactly as it would be alone.
 * Time is the Redis server's `TIME`, so processes with skewed clocks agree,
 * unless the limiter has an explicit `clock`. Keys expire as soon as their
 * state is back at full capacity; on the server's `TIME` with Redis >= 7 that
 * expiry also holds part of the state, so a bucket or window key stores only
 * a small integer.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { RateLimiter, tokenBucket } from 'flowgate';
 * import { RedisStore } from 'flowgate/redis';
 *
 * const limiter = new RateLimiter({
 *   policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }),
 *   store: new RedisStore({ client: new Redis() }),
 *   timeoutMs: 100,
 * });
 */
export class RedisStore implements Store {
  private readonly runner: ScriptRunner;
  private readonly expiryMarginMs: string;
  private readonly cluster: boolean;

  constructor(options: RedisStoreOptions) {
    const issues = new IssueList();
    if (isOptionsObject(issues, 'RedisStore', options)) {
      issues.unknownKeys('RedisStore', options, KNOWN);
      if (clientKind(options.client) === undefined) {
        issues.add(
          'FG_REDIS_CLIENT_INVALID',
          'RedisStore.client',
          options.client,
          'an ioredis Redis or Cluster, a node-redis client from createClient() or createCluster(), or an object with sendCommand(args)',
        );
      }
    }
    const margin = options.expiryMarginMs;
    if (margin !== undefined && !(Number.isInteger(margin) && margin >= 0 && margin <= MAX_EXPIRY_MARGIN_MS)) {
      issues.add(
        'FG_EXPIRY_MARGIN_INVALID',
        'RedisStore.expiryMarginMs',
        margin,
        `a whole number of milliseconds from 0 to ${MAX_EXPIRY_MARGIN_MS}`,
      );
    }
    issues.throwIfAny();
    this.expiryMarginMs = String(options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS);
    guardErrorEvents(options.client);
    this.runner = scriptRunner(options.client);
    this.cluster = isClusterClient(options.client);
  }

  bind(binding: StoreBinding): BoundStore {
    const { script, params } = scriptFor(binding.policy);
    // ARGV[1]: '' for the server's TIME, else the expiry margin, which only an explicit clock needs.
    params.unshift(binding.clock === undefined ? '' : this.expiryMarginMs);
    const batcher = new Batcher(this.runner, script, params, this.cluster, binding.policy.limit);
    return new RedisBinding(this.runner, batcher, keyHead(binding.prefix), binding.clock);
  }
}

class RedisBinding implements BoundStore {
  constructor(
    private readonly runner: ScriptRunner,
    private readonly batcher: Batcher,
    private readonly head: string,
    private readonly clock: (() => number) | undefined,
  ) {}

  limit(key: string, cost: number): Promise<Decision> {
    return this.decide(key, cost === 1 ? '1' : String(cost));
  }

  peek(key: string): Promise<Decision> {
    // A negative cost is a peek: cost 1, nothing written.
    return this.decide(key, '-1');
  }

  async reset(key: string): Promise<void> {
    await this.runner.del(redisKey(this.head, key));
  }

  private decide(key: string, cost: string): Promise<Decision> {
    const nowMs = this.clock === undefined ? undefined : String(Math.floor(this.clock()));
    return this.batcher.add(redisKey(this.head, key), cost, nowMs);
  }
}
