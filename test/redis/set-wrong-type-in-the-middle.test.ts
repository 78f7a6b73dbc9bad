/**
 * Attack: a set decided in one pass commits each limit as it admits, and a
 * batch shares one script call. A request whose middle limit's key holds a
 * value flowgate did not write (another type) must fail alone: nothing of it
 * committed in the limits before or after that key, and the requests around it
 * in the same call decided as if it had never been made.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter, slidingWindow, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

test("a set whose middle limit's key has another type fails alone, in the middle of a burst", async () => {
  await db.admin.flushall();
  const now = 1_900_000_000_000;
  const limiter = new RateLimiter({
    limits: {
      user: fixedWindow({ limit: 5, window: '1h' }),
      org: tokenBucket({ capacity: 5, refillPerSecond: 1 / 3600 }),
      global: slidingWindow({ limit: 5, window: '1h' }),
    },
    store: new RedisStore({ client: db.client('ioredis').client, expiryMarginMs: 86_400_000 }),
    clock: () => now,
    prefix: 'mid',
    logger: false,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  const orgKey = (org: string) =>
    `{mid:${org}}:tb:${tokenBucket({ capacity: 5, refillPerSecond: 1 / 3600 }).params[1]}:org`;
  await db.admin.lpush(orgKey('bad'), 'x');
  // In one job: one script call, the bad request between two good ones on the same user and global keys.
  const good = { user: 'u', org: 'o', global: 'g' };
  const bad = { user: 'u', org: 'bad', global: 'g' };
  const outcomes = await Promise.allSettled([
    limiter.limit(good, { cost: 2 }),
    limiter.limit(bad, { cost: 2 }),
    limiter.limit(good, { cost: 2 }),
  ]);
  assert.equal(outcomes[1].status, 'rejected');
  const remaining = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.remaining : undefined));
  assert.deepEqual(remaining, [3, undefined, 1]);
  const after = await limiter.peek(good);
  assert.deepEqual(Object.fromEntries(Object.entries(after.limits).map(([name, d]) => [name, d.remaining])), {
    user: 0,
    org: 0,
    global: 0,
  });
  assert.equal(await db.admin.type(orgKey('bad')), 'list');
  assert.deepEqual(await db.admin.lrange(orgKey('bad'), 0, -1), ['x']);
});
