/**
 * Attack: refund one admission several times at once. Refunds of a decision
 * are capped at what it spent, but a cap read before the store call and
 * recorded after it lets concurrent refunds each pass it: ten refunds in one
 * tick of a cost-1 admission gave back ten units on Redis (an Express app
 * whose `countResponse` hook ran twice would do this). What a refund takes is
 * recorded before it is sent, and withdrawn only if the store fails.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
const DAY_MS = 86_400_000;

for (const kind of CLIENT_KINDS) {
  describe(`concurrent refunds of one decision (${kind})`, () => {
    test('ten refunds at once of a cost-1 admission give back one unit', async () => {
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 20, window: DAY_MS }),
        store: new RedisStore({ client: db.client(kind).client }),
        prefix: `concurrent-refunds-${kind}`,
        clock: () => 1_000,
        onStoreError: 'throw',
      });
      for (let i = 0; i < 10; i++) await limiter.limit('k');
      const mine = await limiter.limit('k');
      assert.equal(mine.remaining, 9);
      await Promise.all(Array.from({ length: 10 }, () => limiter.refund('k', { cost: 1, decision: mine })));
      // 11 admitted, 1 given back: 10 spent, and a peek reports what is left after a cost-1 request.
      assert.equal(
        (await limiter.peek('k')).remaining,
        9,
        'concurrent refunds gave back more than the admission spent',
      );
    });

    test('a refund that failed can be sent again', async () => {
      const prefix = `retried-refund-${kind}`;
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 20, window: DAY_MS }),
        store: new RedisStore({ client: db.client(kind).client }),
        prefix,
        clock: () => 1_000,
        onStoreError: 'throw',
      });
      const mine = await limiter.limit('k');
      const [key] = await db.admin.keys(`*${prefix}*`);
      assert.ok(key !== undefined);
      const saved = await db.admin.dumpBuffer(key);
      // A value of the wrong type fails the refund, as a store error.
      await db.admin.del(key);
      await db.admin.lpush(key, 'x');
      await assert.rejects(limiter.refund('k', { cost: 1, decision: mine }));
      await db.admin.del(key);
      await db.admin.restore(key, 0, saved);
      await limiter.refund('k', { cost: 1, decision: mine });
      assert.equal((await limiter.peek('k')).remaining, 19, 'the refund after a failed one gave nothing back');
    });
  });
}
