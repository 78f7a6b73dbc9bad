import assert from 'node:assert/strict';
import { type Decision, MemoryStore, type Policy, RateLimiter } from '../../src/index.js';
import { RedisStore, type RedisStoreOptions } from '../../src/stores/redis/index.js';

/** A decision's numbers and verdict, without what only one store can say (degraded, the set's parts). */
export function decisionFields(d: Decision): Omit<Decision, 'limits' | 'degraded' | 'violated'> {
  const { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, atMs, spent } = d;
  return { allowed, limit, remaining, resetMs, retryAfterMs, delayMs, atMs, spent };
}

/**
 * The next decisions on `key` (costs 1, 2, 3, 4, 1, then a peek when `peek`)
 * are exactly `memory`'s: the two limiters hold the same state for it.
 */
export async function sameAsMemory(
  store: RateLimiter,
  memory: RateLimiter,
  key: string,
  { peek = false }: { peek?: boolean } = {},
): Promise<void> {
  for (const cost of [1, 2, 3, 4, 1]) {
    assert.deepEqual(
      decisionFields(await store.limit(key, { cost })),
      decisionFields(await memory.limit(key, { cost })),
      `cost ${cost}`,
    );
  }
  if (peek) assert.deepEqual(decisionFields(await store.peek(key)), decisionFields(await memory.peek(key)));
}

/**
 * Two limiters on `policy` at the fixed instant `now`, one on Redis through
 * `client`, one in memory, that deny when the store fails and never time out
 * (a slowed test must not turn a decision into a degraded one).
 */
export function limiterTwins(
  client: RedisStoreOptions['client'],
  policy: Policy,
  now: number,
  prefix: string,
): { redis: RateLimiter; memory: RateLimiter } {
  const common = {
    policy,
    clock: () => now,
    prefix,
    onStoreError: 'deny' as const,
    logger: false as const,
    timeoutMs: Number.POSITIVE_INFINITY,
  };
  return {
    redis: new RateLimiter({ ...common, store: new RedisStore({ client }) }),
    memory: new RateLimiter({ ...common, store: new MemoryStore() }),
  };
}
