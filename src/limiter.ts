import { Deadlines } from './deadlines.js';
import { DenialCache, type DenialCacheOptions, denialCacheSize } from './denial-cache.js';
import { degradedDecision, type StoreErrorPolicy } from './failure.js';
import type { Decision } from './policies/decision.js';
import { FlowgateArgumentError, FlowgateRangeError, IssueList, isOptionsObject, show } from './policies/errors.js';
import type { Policy } from './policies/policy.js';
import { positiveInteger } from './policies/validate.js';
import { MemoryStore } from './stores/memory.js';
import type { BoundStore, Store } from './stores/store.js';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** The algorithm and its limit, from `fixedWindow`, `slidingLog`, `slidingWindow`, `tokenBucket` or `leakyBucket`. */
  policy: Policy;
  /** Where state lives. @default new MemoryStore() */
  store?: Store;
  /** Key namespace, so several limiters can share a store. @default 'flowgate' */
  prefix?: string;
  /**
   * What a store error or timeout decides: `'allow'` (fail open), `'deny'`
   * (fail closed) or `'throw'` (reject the promise). Decisions made this way
   * carry `degraded: true`.
   * @default 'allow'
   */
  onStoreError?: StoreErrorPolicy;
  /** A store call slower than this many ms counts as a store error. @default 1000 */
  timeoutMs?: number;
  /**
   * Milliseconds since the epoch. Given explicitly, a Redis store uses it
   * instead of the server's `TIME` (tests, simulation). @default Date.now
   */
  clock?: () => number;
  /**
   * Split one logical limit into this many sub-keys (of `limit / shards`
   * each) so a hot key spreads over the nodes of a Redis Cluster. @default 1
   */
  shards?: number;
  /**
   * Remember each denial in this process until its `retryAfterMs` has passed
   * (by `clock`), so a client hammering a blocked key costs no store round
   * trip. It only ever answers with denials, never admits what the store
   * would deny; `true` holds up to 10 000 keys, `{ maxKeys }` sets the bound.
   * @default false
   */
  denialCache?: boolean | DenialCacheOptions;
}

/** Options of {@link RateLimiter.limit}. */
export interface LimitOptions {
  /** Units this request spends: a positive whole number, at most the policy's limit. @default 1 */
  cost?: number;
  /** With `shards`, callers with the same `shardKey` always use the same sub-key. */
  shardKey?: string;
}

const KNOWN = [
  'policy',
  'store',
  'prefix',
  'onStoreError',
  'timeoutMs',
  'clock',
  'shards',
  'denialCache',
] as const satisfies readonly (keyof RateLimiterOptions)[];

const STORE_ERROR_POLICIES: readonly StoreErrorPolicy[] = ['allow', 'deny', 'throw'];

/**
 * Decides, per key, whether a request may proceed.
 *
 * @example
 * const limiter = new RateLimiter({ policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }) });
 * const d = await limiter.limit('user:42');
 * if (!d.allowed) console.log(`retry in ${d.retryAfterMs} ms`);
 */
export class RateLimiter {
  readonly policy: Policy;
  readonly prefix: string;
  readonly onStoreError: StoreErrorPolicy;
  readonly timeoutMs: number;
  readonly shards: number;
  private readonly parts: readonly BoundStore[];
  private readonly partPolicies: readonly Policy[];
  private nextPart = 0;
  /** The largest cost any part can admit: the policy's limit, or the smallest shard's share. */
  private readonly costLimit: number;
  private readonly denials: DenialCache | undefined;
  /** One shared timer for every pending store call; undefined with `timeoutMs: Infinity`. */
  private readonly deadlines: Deadlines | undefined;

  constructor(options: RateLimiterOptions) {
    const issues = new IssueList();
    let denialKeys = 0;
    if (isOptionsObject(issues, 'RateLimiter', options)) {
      issues.unknownKeys('RateLimiter', options, KNOWN);
      validate(issues, options);
      denialKeys = denialCacheSize(issues, 'RateLimiter.denialCache', options.denialCache) ?? 0;
    }
    issues.throwIfAny();
    this.policy = options.policy;
    this.prefix = options.prefix ?? 'flowgate';
    this.onStoreError = options.onStoreError ?? 'allow';
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.shards = options.shards ?? 1;
    this.deadlines = this.timeoutMs === Number.POSITIVE_INFINITY ? undefined : new Deadlines(this.timeoutMs);
    const store = options.store ?? new MemoryStore();
    const clock = options.clock;
    this.denials = denialKeys ? new DenialCache(denialKeys, clock ?? Date.now) : undefined;
    const count = this.shards;
    this.partPolicies =
      count === 1 ? [this.policy] : Array.from({ length: count }, (_, i) => this.policy.part(i, count));
    this.costLimit = minimumLimit(this.partPolicies);
    this.parts = this.partPolicies.map((policy, i) =>
      store.bind({ prefix: count === 1 ? this.prefix : `${this.prefix}:shard${i}`, policy, clock }),
    );
  }

  /**
   * Decides a request for `key` and, if admitted, records it.
   * Rejects with a `FlowgateRangeError` when `cost` exceeds the limit.
   */
  limit(key: string, options?: LimitOptions): Promise<Decision> {
    const decided = this.decide(key, options);
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  }

  /**
   * {@link limit} without a promise when none is needed: the `Decision` itself
   * when the store answers synchronously (the memory store, or a denial from
   * `denialCache`), a promise of it otherwise (Redis). Meant for middleware on
   * every request's path, where a promise and a microtask per request show in
   * the throughput; application code should call `limit`. It never throws:
   * invalid arguments, and store errors under `onStoreError: 'throw'`, come
   * back as a rejected promise.
   *
   * @example
   * const answer = limiter.decide('user:42');
   * const d = answer instanceof Promise ? await answer : answer;
   */
  decide(key: string, options?: LimitOptions): Decision | Promise<Decision> {
    // Only an absent cost means 1: `cost: null` is a mistake to report, not a default.
    const cost = options?.cost === undefined ? 1 : options.cost;
    const problem = checkKey(key) ?? this.checkCost(cost);
    if (problem) return Promise.reject(problem);
    const part = this.choosePart(options?.shardKey);
    const cached = this.denials?.get(this.denialId(part, key), cost);
    if (cached) return cached;
    return this.call(false, cost, part, key);
  }

  /** The decision a cost-1 request would get now; consumes nothing. */
  peek(key: string, options?: Pick<LimitOptions, 'shardKey'>): Promise<Decision> {
    const problem = checkKey(key);
    if (problem) return Promise.reject(problem);
    const part = options?.shardKey === undefined ? 0 : this.choosePart(options.shardKey);
    const cached = this.denials?.get(this.denialId(part, key), 1);
    if (cached) return Promise.resolve(cached);
    const decided = this.call(true, 1, part, key);
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  }

  /** Forgets `key` (every shard of it), so it starts again at full capacity. */
  async reset(key: string): Promise<void> {
    const problem = checkKey(key);
    if (problem) throw problem;
    if (this.denials) for (let part = 0; part < this.shards; part++) this.denials.forget(this.denialId(part, key));
    await Promise.all(
      this.parts.map((part) => {
        const done = part.reset(key);
        return done && this.deadlines ? this.deadlines.race(done) : done;
      }),
    );
  }

  /**
   * Asks the store (limit, or peek when `peek`), applying the timeout, the
   * failure policy and the denial cache. The memory store answers
   * synchronously: then so does this, with no timer and no promise.
   */
  private call(peek: boolean, cost: number, part: number, key: string): Decision | Promise<Decision> {
    let result: Decision | Promise<Decision>;
    try {
      const store = this.parts[part] as BoundStore;
      result = peek ? store.peek(key) : store.limit(key, cost);
      if (!(result instanceof Promise)) {
        if (this.denials) this.denials.remember(this.denialId(part, key), cost, result);
        return result;
      }
    } catch (error) {
      if (this.onStoreError === 'throw') return Promise.reject(error);
      return degradedDecision(this.onStoreError, this.partPolicies[part] as Policy, cost);
    }
    return this.settle(result, cost, part, key);
  }

  /** The asynchronous half of {@link call}, for stores that answer with a promise. */
  private async settle(result: Promise<Decision>, cost: number, part: number, key: string): Promise<Decision> {
    try {
      const decided = await (this.deadlines === undefined ? result : this.deadlines.race(result));
      if (this.denials) this.denials.remember(this.denialId(part, key), cost, decided);
      return decided;
    } catch (error) {
      if (this.onStoreError === 'throw') throw error;
      return degradedDecision(this.onStoreError, this.partPolicies[part] as Policy, cost);
    }
  }

  private denialId(part: number, key: string): string {
    return this.shards === 1 ? key : `${part}\u0000${key}`;
  }

  private checkCost(cost: unknown): Error | undefined {
    if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 1) {
      return new FlowgateArgumentError(
        'FG_COST_INVALID',
        `cost: received ${show(cost)}, expected a positive whole number`,
      );
    }
    const limit = this.costLimit;
    if (cost > limit) {
      const what = this.shards === 1 ? `the policy's limit of ${limit}` : `the smallest shard's limit of ${limit}`;
      return new FlowgateRangeError(
        'FG_COST_EXCEEDS_LIMIT',
        `cost ${cost} exceeds ${what}; such a request could never be admitted`,
      );
    }
    return undefined;
  }

  private choosePart(shardKey: string | undefined): number {
    if (this.shards === 1) return 0;
    if (shardKey === undefined) {
      this.nextPart = (this.nextPart + 1) % this.shards;
      return this.nextPart;
    }
    return fnv1a(shardKey) % this.shards;
  }
}

function validate(issues: IssueList, options: RateLimiterOptions): void {
  const { policy, store, prefix, onStoreError, timeoutMs, clock, shards } = options;
  if (!isPolicy(policy)) {
    issues.add(
      'FG_POLICY_INVALID',
      'RateLimiter.policy',
      policy,
      'a policy from fixedWindow(), slidingLog(), slidingWindow(), tokenBucket() or leakyBucket()',
    );
  }
  if (store !== undefined && typeof (store as Partial<Store>).bind !== 'function') {
    issues.add(
      'FG_STORE_INVALID',
      'RateLimiter.store',
      store,
      'a store such as new MemoryStore() or new RedisStore({ client })',
    );
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length === 0)) {
    issues.add('FG_PREFIX_INVALID', 'RateLimiter.prefix', prefix, 'a non-empty string');
  }
  if (onStoreError !== undefined && !STORE_ERROR_POLICIES.includes(onStoreError)) {
    issues.add(
      'FG_ON_STORE_ERROR_INVALID',
      'RateLimiter.onStoreError',
      onStoreError,
      `one of 'allow', 'deny', 'throw'`,
    );
  }
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === 'number' && timeoutMs > 0 && (Number.isInteger(timeoutMs) || timeoutMs === Infinity))
  ) {
    issues.add(
      'FG_TIMEOUT_INVALID',
      'RateLimiter.timeoutMs',
      timeoutMs,
      'a positive whole number of milliseconds, or Infinity',
    );
  }
  if (clock !== undefined && typeof clock !== 'function') {
    issues.add('FG_CLOCK_INVALID', 'RateLimiter.clock', clock, 'a function returning milliseconds since the epoch');
  }
  if (shards !== undefined) {
    const max = isPolicy(policy) ? policy.limit : undefined;
    positiveInteger(issues, 'FG_SHARDS_INVALID', 'RateLimiter.shards', shards, max);
  }
}

function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && typeof (value as Policy).decide === 'function';
}

function checkKey(key: unknown): Error | undefined {
  if (typeof key === 'string' && key.length > 0) return undefined;
  return new FlowgateArgumentError('FG_KEY_INVALID', `key: received ${show(key)}, expected a non-empty string`);
}

function minimumLimit(policies: readonly Policy[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const policy of policies) min = Math.min(min, policy.limit);
  return min;
}

/** 32-bit FNV-1a: a cheap, stable hash to route a shard key. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
