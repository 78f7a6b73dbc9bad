/**
 * Refund properties on MemoryStore, for every policy and for limit sets
 * (see test/support/refund-properties.ts), and sharding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixedWindow, MemoryStore, RateLimiter } from '../../src/index.js';
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

let prefixes = 0;
const context: RefundContext = {
  store: () => new MemoryStore(),
  prefix: () => `refund${prefixes++}`,
  numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 100),
};
const runs = { numRuns: context.numRuns };

for (const kind of KINDS) {
  describe(`refunds on MemoryStore: ${kind}`, () => {
    test('limit, then refund with its decision: later decisions as if it never happened (where exact)', async () => {
      await fc.assert(exactProperty(context, kind), runs);
    });
    test('no window admits more than its limit plus what was refunded into it; never below empty', async () => {
      await fc.assert(boundedProperty(context, kind), runs);
    });
    test('a refund after the window rolled over changes nothing', async () => {
      await fc.assert(rolledOverProperty(context, kind), runs);
    });
    test('refunding a denied or degraded decision changes nothing', async () => {
      await fc.assert(nothingSpentProperty(context, kind), runs);
    });
    test('a refund without a decision, of no more than the latest admission spent, is its refund', async () => {
      await fc.assert(latestProperty(context, kind), runs);
    });
    if (kind === 'tokenBucket' || kind === 'leakyBucket') {
      test('with admissions in between, any rate: never more room than without the request', async () => {
        await fc.assert(bucketNeverMoreProperty(context, kind), runs);
      });
    }
  });
}

test('a refund on a set gives back each limit its own part', async () => {
  await fc.assert(setRefundProperty(context), runs);
});

describe('refunds with shards', () => {
  test('a refund with its decision finds the shard that admitted, whatever came after', async () => {
    // 2 per window over 2 shards: one each. Round-robin: the first call on shard 0, the second on shard 1.
    const limiter = new RateLimiter({ policy: fixedWindow({ limit: 2, window: 1000 }), shards: 2, clock: () => 0 });
    const first = await limiter.limit('k');
    const second = await limiter.limit('k');
    assert.deepEqual([first.allowed, second.allowed], [true, true]);
    // The next call goes to shard 0 again: a refund sent to "the latest shard" (1) would leave it full.
    await limiter.refund('k', { decision: first });
    assert.equal((await limiter.limit('k')).allowed, true);
    assert.equal((await limiter.limit('k')).allowed, false);
  });

  test('a set: a refund with its decision gives each limit of the shard that admitted its part back', async () => {
    // a: 2 over 2 shards (1 each), b: 4 (2 each). First call on shard 0, second on shard 1.
    const limiter = new RateLimiter({
      limits: { a: fixedWindow({ limit: 2, window: 1000 }), b: fixedWindow({ limit: 4, window: 1000 }) },
      shards: 2,
      clock: () => 0,
    });
    const first = await limiter.limit('k');
    const second = await limiter.limit('k');
    assert.deepEqual([first.allowed, second.allowed], [true, true]);
    await limiter.refund('k', { decision: first });
    const again = await limiter.limit('k'); // shard 0
    assert.deepEqual([again.allowed, again.limits.a.remaining, again.limits.b.remaining], [true, 0, 1]);
    assert.deepEqual((await limiter.limit('k')).violated, ['a']); // shard 1
  });

  test('a refund with a shardKey and no decision finds that shard', async () => {
    const limiter = new RateLimiter({ policy: fixedWindow({ limit: 4, window: 1000 }), shards: 2, clock: () => 0 });
    while ((await limiter.limit('k', { shardKey: 'client-1' })).allowed);
    await limiter.refund('k', { shardKey: 'client-1' });
    assert.equal((await limiter.limit('k', { shardKey: 'client-1' })).allowed, true);
    assert.equal((await limiter.limit('k', { shardKey: 'client-1' })).allowed, false);
  });
});
