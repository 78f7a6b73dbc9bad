/**
 * Refund properties on RedisStore, both clients, every policy and limit sets
 * (see test/support/refund-properties.ts), and sharding: the same statements
 * as on MemoryStore (test/limit-sets/refund.test.ts), with fewer runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import {
  boundedProperty,
  bucketNeverMoreProperty,
  exactProperty,
  KINDS,
  latestProperty,
  nothingSpentProperty,
  type RefundContext,
  rolledOverProperty,
  setRefundProperty,
} from '../support/refund-properties.js';

const db = redisFixture();
let prefixes = 0;

for (const kind of CLIENT_KINDS) {
  describe(`refunds on RedisStore (${kind})`, () => {
    let store: RedisStore | undefined;
    const context: RefundContext = {
      // Keys outlive their state by a day of real time: a slow step on a loaded machine never finds one gone.
      store: () => {
        store ??= new RedisStore({ client: db.client(kind).client, expiryMarginMs: 86_400_000 });
        return store;
      },
      prefix: () => `refund${prefixes++}`,
      numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 30),
    };
    const runs = { numRuns: context.numRuns };

    for (const policy of KINDS) {
      test(`${policy}: exact where the algorithm can know, bounded, rolled over, nothing spent, latest`, async () => {
        await fc.assert(exactProperty(context, policy), runs);
        await fc.assert(boundedProperty(context, policy), runs);
        await fc.assert(rolledOverProperty(context, policy), runs);
        await fc.assert(nothingSpentProperty(context, policy), runs);
        await fc.assert(latestProperty(context, policy), runs);
        if (policy === 'tokenBucket' || policy === 'leakyBucket') {
          await fc.assert(bucketNeverMoreProperty(context, policy), runs);
        }
      });
    }

    test('a refund on a set gives back each limit its own part', async () => {
      await fc.assert(setRefundProperty(context), runs);
    });

    test('with shards, a refund with its decision finds the shard that admitted', async () => {
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 2, window: '1h' }),
        shards: 2,
        store: context.store(),
        prefix: context.prefix(),
        clock: () => 1_800_000_000_000,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      const first = await limiter.limit('k');
      const second = await limiter.limit('k');
      assert.deepEqual([first.allowed, second.allowed], [true, true]);
      await limiter.refund('k', { decision: first });
      assert.equal((await limiter.limit('k')).allowed, true);
      assert.equal((await limiter.limit('k')).allowed, false);
    });
  });
}
