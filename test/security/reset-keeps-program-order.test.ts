/**
 * reset() on Redis went straight to DEL while limit() calls made before it
 * in the same tick were still waiting for their batch, so the reset
 * overtook them and their units were spent after it. Reset now goes
 * through the same batch, in program order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, RateLimiter, slidingLog, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

for (const kind of CLIENT_KINDS) {
  describe(`reset in program order with ${kind}`, () => {
    for (const policy of [
      fixedWindow({ limit: 5, window: '1h' }),
      slidingLog({ limit: 5, window: '1h' }),
      tokenBucket({ capacity: 5, refillPerSecond: 1 / 3600 }),
    ]) {
      test(policy.algorithm, async () => {
        const store = new RedisStore({ client: db.client(kind).client });
        const limiter = new RateLimiter({ policy, store, prefix: `order-${kind}`, onStoreError: 'throw' });
        await limiter.limit('warm');
        // In one tick: three limits, a reset, one more limit.
        const before = [limiter.limit('k'), limiter.limit('k'), limiter.limit('k')];
        const reset = limiter.reset('k');
        const afterwards = limiter.limit('k');
        await Promise.all([...before, reset]);
        assert.equal((await afterwards).remaining, 4, 'the limit made after the reset counts from full');
        assert.equal((await limiter.peek('k')).remaining, 3);
      });
    }
  });
}
