/**
 * Issue 10: the expiry encoding saves a sliding window's packed counts still
 * in their window with INCRBY (cheaper than SET KEEPTTL), as the fixed
 * window saves its count. A value that Lua reads as a whole number but Redis
 * does not read as an integer (' 2', '02', '2e0', '2.0', '0x2') refuses
 * INCRBY: the key must then be written as before (SET, keeping its expiry),
 * not left as it was, and every request of the call decided on the counts
 * the value holds (previous * 2^26 + current).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter, slidingWindow } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

// Ahead of the server's clock, as the expiry encoding needs with an explicit clock.
const BASE = 1_900_000_000_000;
const PACK = 2 ** 26;

// [stored, what Redis holds after two admissions, remaining after each]: current 2; then a previous
// window's 1 as well, which weighs 1 in the limit at any instant of the window.
const CASES: [string, string, number, number][] = [
  ...[' 2', '02', '2e0', '2.0', '0x2'].map((stored): [string, string, number, number] => [stored, '4', 2, 1]),
  [` ${PACK + 2}`, String(PACK + 4), 1, 0],
  [`${PACK + 2}.0`, String(PACK + 4), 1, 0],
];

for (const [stored, saved, first, second] of CASES) {
  test(`sliding window counts stored as ${JSON.stringify(stored)} are counted on and saved in their window`, async () => {
    await db.admin.flushdb();
    const now = BASE;
    const limiter = new RateLimiter({
      policy: slidingWindow({ limit: 5, window: '1h' }),
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
    // One script call: both requests see the counts the first left.
    const [a, b] = await Promise.all([limiter.limit('k'), limiter.limit('k')]);
    assert.deepEqual([a.allowed, a.remaining, b.allowed, b.remaining], [true, first, true, second]);
    assert.deepEqual([await db.admin.get(key), await db.admin.pexpiretime(key)], [saved, expiry]);
  });
}

test('sliding window counts Redis can increment are saved by INCRBY, the expiry kept', async () => {
  await db.admin.flushdb();
  const limiter = new RateLimiter({
    policy: slidingWindow({ limit: 5, window: '1h' }),
    store: new RedisStore({ client: db.client('ioredis').client, encoding: 'expiry' }),
    prefix: 'inc',
    clock: () => BASE,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
  await limiter.limit('k');
  const [key] = await db.admin.keys('{inc:k}*');
  assert.ok(key !== undefined);
  const expiry = await db.admin.pexpiretime(key);
  await db.admin.set(key, String(PACK + 1), 'KEEPTTL');
  await db.admin.config('RESETSTAT');
  const decided = await limiter.limit('k');
  assert.deepEqual([decided.allowed, decided.remaining], [true, 2]);
  assert.deepEqual([await db.admin.get(key), await db.admin.pexpiretime(key)], [String(PACK + 2), expiry]);
  const stats = await db.admin.info('commandstats');
  assert.match(stats, /cmdstat_incrby:calls=1,/);
  assert.doesNotMatch(stats, /cmdstat_set:/);
});
