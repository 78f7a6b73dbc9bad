/**
 * Attack surface: limiters sharing Redis keys. "10 per minute" and "1 000
 * per day" on one user, both on the default prefix, were counted together
 * in Redis (6 admitted instead of 10); mixing algorithms on one prefix made
 * the sliding-log script fail with WRONGTYPE, which failed the whole batch
 * (20 of 20 other users admitted, degraded) and left that batch's entries
 * written (a partial commit). Keys now name the algorithm and its unit, and
 * one request's error never decides, fails or commits another's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

for (const kind of CLIENT_KINDS) {
  describe(`shared prefixes with ${kind}`, () => {
    test('10 per minute and 1000 per day on one user, default prefix: counted apart', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      const perMinute = new RateLimiter({
        policy: fixedWindow({ limit: 10, window: '1m' }),
        store,
        onStoreError: 'throw',
      });
      const perDay = new RateLimiter({
        policy: fixedWindow({ limit: 1000, window: '1d' }),
        store,
        onStoreError: 'throw',
      });
      let minute = 0;
      let day = 0;
      for (let i = 0; i < 12; i++) {
        if ((await perDay.limit('user:1')).allowed) day++;
        if ((await perMinute.limit('user:1')).allowed) minute++;
      }
      assert.deepEqual([minute, day], [10, 12]);
    });

    test('every algorithm on one prefix and one key: no WRONGTYPE, each keeps its own state', async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      const policies: Policy[] = [
        fixedWindow({ limit: 3, window: '1h' }),
        slidingWindow({ limit: 3, window: '1h' }),
        slidingLog({ limit: 3, window: '1h' }),
        tokenBucket({ capacity: 3, refillPerSecond: 1 / 3600 }),
        leakyBucket({ capacity: 3, leakPerSecond: 1 / 3600 }),
      ];
      const limiters = policies.map((policy) => new RateLimiter({ policy, store, onStoreError: 'throw' }));
      for (let round = 0; round < 4; round++) {
        const decisions = await Promise.all(limiters.map((limiter) => limiter.limit('same')));
        assert.deepEqual(
          decisions.map((d) => d.allowed),
          policies.map(() => round < 3),
          `round ${round}`,
        );
      }
    });

    test("one request's wrong-typed key fails that request only: the batch's others are decided and committed", async () => {
      await db.admin.flushdb();
      const store = new RedisStore({ client: db.client(kind).client });
      const policy = slidingLog({ limit: 5, window: '1h' });
      const limiter = new RateLimiter({ policy, store, onStoreError: 'throw', logger: false });
      // Someone else's hash sits where one user's log would be.
      await db.admin.hset('{flowgate:victim}:sl:3600000', 'field', 'value');
      const users = Array.from({ length: 20 }, (_, i) => (i === 7 ? 'victim' : `user:${i}`));
      const settled = await Promise.allSettled(users.map((user) => limiter.limit(user, { cost: 2 })));
      const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [users[i]] : []));
      assert.deepEqual(failed, ['victim']);
      assert.match(String((settled[7] as PromiseRejectedResult).reason), /WRONGTYPE.*FG_STORE_REQUEST_FAILED/);
      for (const [i, s] of settled.entries()) {
        if (i !== 7)
          assert.deepEqual(
            [s.status, (s as PromiseFulfilledResult<{ remaining: number }>).value.remaining],
            ['fulfilled', 3],
          );
      }
      // Committed: the others spent 2 each; the victim's hash is untouched.
      assert.equal((await limiter.peek('user:0')).remaining, 2);
      assert.deepEqual(await db.admin.hgetall('{flowgate:victim}:sl:3600000'), { field: 'value' });
      // With the failure policy, the poisoned request is answered by it; the others are not degraded.
      const open = new RateLimiter({ policy, store, onStoreError: 'allow', logger: false });
      const mixed = await Promise.all(['victim', 'user:0'].map((user) => open.limit(user)));
      assert.deepEqual(
        mixed.map((d) => d.degraded),
        [true, false],
      );
    });
  });
}
