/**
 * Attack (a buggy hook): the application's `logger` throws, or is async and
 * rejects (a log shipper whose connection closed). The limiter logs the
 * first degraded decision of an outage and the recovery from inside the
 * decision: a throwing logger turned a fail-open `allow` into a rejected
 * `limit()` (and the first admission after the recovery too), and a rejected
 * promise from the logger went unhandled, which ends a Node process by
 * default. A log line must never change a decision nor crash the process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from 'redis';
import { RateLimiter, tokenBucket } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const LOGGERS = {
  throws: () => ({
    warn(): void {
      throw new Error('log sink closed');
    },
    error(): void {
      throw new Error('log sink closed');
    },
  }),
  rejects: () => ({
    warn: async (): Promise<void> => {
      throw new Error('log shipper disconnected');
    },
    error: async (): Promise<void> => {
      throw new Error('log shipper disconnected');
    },
  }),
};

for (const [how, makeLogger] of Object.entries(LOGGERS)) {
  test(`a logger that ${how} changes no decision through an outage and its recovery, and nothing goes unhandled`, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    // Never connected: every call fails until connect() (see silent-store-failure.test.ts).
    const client = createClient({ url: db.server.url });
    try {
      const limiter = new RateLimiter({
        name: `logger-${how}`,
        prefix: `throwing-logger-${how}`,
        policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }),
        store: new RedisStore({ client }),
        onStoreError: 'allow',
        logger: makeLogger(),
      });
      for (let i = 0; i < 3; i++) {
        const d = await limiter.limit('k');
        assert.deepEqual([d.allowed, d.degraded], [true, true], 'fails open whatever the logger does');
      }
      // decide() never throws, and the refund of a degraded decision is no store call.
      const answer = limiter.decide('k');
      assert.ok(answer instanceof Promise);
      assert.equal((await answer).degraded, true);
      await client.connect();
      const real = await limiter.limit('k');
      assert.deepEqual([real.allowed, real.degraded, real.remaining], [true, false, 9], 'the recovery line throws');
      // Unhandled rejections are reported once the microtasks of this turn have run.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      if (client.isOpen) client.destroy();
    }
  });
}

test('a logger that throws on a request-level store failure (a key of the wrong type) changes no decision', async () => {
  const limiter = new RateLimiter({
    name: 'logger-request',
    prefix: 'throwing-logger-request',
    policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }),
    store: new RedisStore({ client: db.client('ioredis').client }),
    onStoreError: 'deny',
    logger: LOGGERS.throws(),
  });
  await limiter.limit('k');
  const [key] = await db.admin.keys('*throwing-logger-request*');
  assert.ok(key !== undefined);
  await db.admin.del(key);
  await db.admin.lpush(key, 'x');
  const d = await limiter.limit('k');
  assert.deepEqual([d.allowed, d.degraded], [false, true], 'fails closed as configured');
});
