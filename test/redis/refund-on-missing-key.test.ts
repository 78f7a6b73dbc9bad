/**
 * Regression: a refund without a decision ("the key's latest admission") on a
 * fixed or sliding window key that holds no state (never used, expired, or
 * reset) must change nothing, as it does in MemoryStore. It used to save the
 * missing state's window index, -inf: in the value encoding as the string
 * '-inf:…' with KEEPTTL, i.e. a key without expiry; a sliding window cannot
 * read that back, so every later request on the key was a store error, decided
 * by onStoreError ('allow': the key was never limited again). In the expiry
 * encoding (the default on the server's TIME) `SET … PXAT -inf` raised inside
 * the script, failing every request of the batch after committing some.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, type Policy, RateLimiter, slidingWindow } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
const POLICIES: Record<string, () => Policy> = {
  fixedWindow: () => fixedWindow({ limit: 1, window: '1h' }),
  slidingWindow: () => slidingWindow({ limit: 1, window: '1h' }),
};

for (const [name, policyOf] of Object.entries(POLICIES)) {
  describe(`${name}: a refund without a decision on a key with no state`, () => {
    test('writes nothing, and the key stays limited (explicit clock: state in the value)', async () => {
      await db.admin.flushdb();
      const now = 1_800_000_000_000;
      const limiter = new RateLimiter({
        policy: policyOf(),
        store: new RedisStore({ client: db.client('ioredis').client }),
        clock: () => now,
        onStoreError: 'allow',
        logger: false,
      });
      await limiter.refund('fresh');
      assert.deepEqual(await db.admin.keys('*'), []);
      const first = await limiter.limit('fresh');
      const second = await limiter.limit('fresh');
      assert.deepEqual([first.allowed, first.degraded], [true, false]);
      assert.deepEqual([second.allowed, second.degraded], [false, false]);
    });

    test('fails nothing of its batch (server TIME: state in the expiry)', async () => {
      await db.admin.flushdb();
      const limiter = new RateLimiter({
        policy: policyOf(),
        store: new RedisStore({ client: db.client('ioredis').client }),
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
        logger: false,
      });
      // One turn of the event loop: one script call decides both.
      const [refunded, decided] = await Promise.allSettled([limiter.refund('fresh'), limiter.limit('other')]);
      assert.equal(refunded.status, 'fulfilled');
      assert.equal(decided.status, 'fulfilled');
      assert.equal((await limiter.limit('other')).allowed, false);
      assert.deepEqual(await db.admin.keys('*fresh*'), []);
    });
  });
}
