/**
 * A set's one pass undoes what a limit committed for a request that a later
 * limit denies, and in the value encoding that includes the key's TTL: the
 * denied request's later instant must not shorten the expiry an earlier
 * admission of the same call gave the key. Request A (admitted) at the start
 * of a 1 h window, then B (denied by the org limit) half an hour later, in
 * one script call: the user key must expire a full hour (plus the margin)
 * after the call, as A left it, not half an hour, as B would have.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const HOUR = 3_600_000;

test('a denied request of a set leaves the TTL the last admission gave a fixed window (value encoding)', async () => {
  await db.admin.flushdb();
  // The start of a window, ahead of the server's clock.
  let now = 528_000 * HOUR;
  const limiter = new RateLimiter({
    limits: { user: fixedWindow({ limit: 10, window: '1h' }), org: fixedWindow({ limit: 1, window: '1h' }) },
    store: new RedisStore({ client: db.client('ioredis').client, encoding: 'value' }),
    prefix: 'undo',
    clock: () => now,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const before = Number((await db.admin.time())[0]) * 1000;
  // One turn, one script call: A admitted, B denied by org after user committed (and was undone).
  const a = limiter.limit({ user: 'u', org: 'o' });
  now += HOUR / 2;
  const b = limiter.limit({ user: 'u', org: 'o' });
  const [admitted, denied] = await Promise.all([a, b]);
  assert.deepEqual([admitted.allowed, denied.allowed, denied.violated], [true, false, ['org']]);
  const [key, ...others] = await db.admin.keys('{undo:u}*');
  assert.ok(key !== undefined && others.length === 0);
  assert.equal(await db.admin.get(key), `${528_000}:1`);
  // Saved with A's TTL (an hour and the margin) at a server time after `before`; B's would end before this.
  assert.ok((await db.admin.pexpiretime(key)) >= before + HOUR, 'the TTL of the denied request');
});
