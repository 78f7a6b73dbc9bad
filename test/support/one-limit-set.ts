/**
 * A limiter built with `limits` holding one limit is still a limit set: its
 * decisions carry `limits` and `violated`, and a shadow limit never denies.
 * Run on MemoryStore (test/limit-sets/one-limit-set.test.ts) and Redis
 * (test/redis/limit-sets.test.ts).
 */
import assert from 'node:assert/strict';
import { fixedWindow, RateLimiter, type Store } from '../../src/index.js';

export async function oneLimitSetAnswersAsASet(store: Store, prefix: string): Promise<void> {
  const limiter = new RateLimiter({
    limits: { user: fixedWindow({ limit: 1, window: '1h' }) },
    store,
    prefix,
    clock: () => 1_800_000_000_000,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const admitted = await limiter.limit('k');
  assert.deepEqual(admitted.violated, []);
  assert.deepEqual(Object.keys(admitted.limits ?? {}), ['user']);
  assert.equal(admitted.limits.user.remaining, 0);
  const denied = await limiter.limit('k');
  assert.equal(denied.allowed, false);
  assert.deepEqual(denied.violated, ['user']);
}

export async function oneShadowLimitNeverDenies(store: Store, prefix: string): Promise<void> {
  const limiter = new RateLimiter({
    limits: { trial: { policy: fixedWindow({ limit: 1, window: '1h' }), mode: 'shadow' } },
    store,
    prefix,
    clock: () => 1_800_000_000_000,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const first = await limiter.limit('k');
  const second = await limiter.limit('k');
  assert.deepEqual([first.allowed, first.shadowDenied], [true, false]);
  assert.deepEqual([second.allowed, second.shadowDenied, second.retryAfterMs], [true, true, 0]);
  assert.deepEqual(second.violated, []);
  assert.equal(second.limits?.trial.allowed, false);
}
