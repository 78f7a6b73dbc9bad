/**
 * Regressions of refunds, each named after what it breaks (MemoryStore; the
 * policies' refund math is shared with Redis's Lua twins).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter, tokenBucket } from '../../src/index.js';
import { VECTOR_EPOCH_MS } from '../support/vectors.js';

test('refunding a shadow limiter’s shadow-denied decision gives back nothing', async () => {
  // A shadow limiter answers allowed: true with shadowDenied: true; the policy denied and spent nothing.
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 2, window: 1000 }), mode: 'shadow', clock: () => 0 });
  await limiter.limit('k');
  await limiter.limit('k');
  const denied = await limiter.limit('k');
  assert.equal(denied.shadowDenied, true);
  await limiter.refund('k', { decision: denied });
  assert.equal((await limiter.peek('k')).shadowDenied, true, 'a unit of an admitted request was given back');
});

test('with shards, a shadow limiter’s refund finds the shard that admitted', async () => {
  // 1 per shard; round-robin: shard 0, shard 1, then shard 0 again.
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 2, window: 1000 }),
    mode: 'shadow',
    shards: 2,
    clock: () => 0,
  });
  const first = await limiter.limit('k');
  await limiter.limit('k');
  await limiter.refund('k', { decision: first });
  assert.equal((await limiter.peek('k')).shadowDenied, false, 'shard 0 did not get its unit back');
});

test('a refund with a decision never gives back more than that admission spent', async () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 4, window: 1000 }), clock: () => 0 });
  const mine = await limiter.limit('k', { cost: 1 });
  await limiter.limit('k', { cost: 2 }); // another request's units: 3 of 4 spent
  // More than it spent: only its 1 unit comes back (2 of 4 spent: a peek leaves 1).
  await limiter.refund('k', { cost: 3, decision: mine });
  assert.equal((await limiter.peek('k')).remaining, 1, 'units of another admission were given back');
  // The same decision again: it has nothing left to give back.
  await limiter.refund('k', { cost: 1, decision: mine });
  assert.equal((await limiter.peek('k')).remaining, 1, 'one admission refunded twice');
});

test('a bucket refund at the admission’s own instant gives back all of it (3 per second)', async () => {
  // 3/s is counted in thirds of a ms: the admission ends at tick 2000, inside ms 667. Nothing else was
  // admitted, so what it spent is known exactly: the request must be as if it never happened.
  const limiter = new RateLimiter({
    policy: tokenBucket({ capacity: 2, refillPerSecond: 3 }),
    clock: () => VECTOR_EPOCH_MS,
  });
  const admitted = await limiter.limit('k', { cost: 2 });
  await limiter.refund('k', { cost: 2, decision: admitted });
  const again = await limiter.limit('k', { cost: 2 });
  assert.deepEqual([again.allowed, again.retryAfterMs], [true, 0], JSON.stringify(again));
});
