/**
 * A fixed window's count that Lua reads as a whole number but Redis does not
 * read as an integer (' 2', '02', '2e0', '2.0', '0x2'): the expiry encoding saves a
 * count still in its window with INCRBY (cheaper than SET KEEPTTL), which
 * Redis refuses for such a value. The key must then be written as before (SET,
 * keeping its expiry), not left as it was, and every request of the call
 * decided as on a count of 2.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// Ahead of the server's clock, as the expiry encoding needs with an explicit clock.
const BASE = 1_900_000_000_000;

for (const stored of [' 2', '02', '2e0', '2.0', '0x2']) {
  test(`a count stored as ${JSON.stringify(stored)} is counted on and saved in its window`, async () => {
    await db.admin.flushdb();
    const now = BASE;
    const limiter = new RateLimiter({
      policy: fixedWindow({ limit: 5, window: '1h' }),
      store: new RedisStore({ client: db.client('ioredis').client, encoding: 'expiry' }),
      prefix: 'inc',
      clock: () => now,
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await limiter.limit('k');
    const [key, ...others] = await db.admin.keys('{inc:k}*');
    assert.ok(key !== undefined && others.length === 0);
    const expiry = await db.admin.pexpiretime(key);
    await db.admin.set(key, stored, 'KEEPTTL');
    // One script call: both requests see the count the first left.
    const [first, second] = await Promise.all([limiter.limit('k'), limiter.limit('k')]);
    assert.deepEqual([first.allowed, first.remaining, second.allowed, second.remaining], [true, 2, true, 1]);
    assert.deepEqual([await db.admin.get(key), await db.admin.pexpiretime(key)], ['4', expiry]);
  });
}
