/**
 * With `shards`, `peek` without a shard key read shard 0 while `limit`
 * went round-robin, so `peek` did not predict `limit`; and nothing checked
 * that the shard parts add up to exactly the limit (parts summing to the
 * limit + 1 passed every test). Both exact now.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter, slidingWindow, tokenBucket } from '../../src/index.js';

test('peek predicts the next limit of a sharded key, with and without a shard key', async () => {
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 10, window: '1h' }), shards: 4, clock: () => 1_000 });
  for (let i = 0; i < 14; i++) {
    // peek is exactly what limit({ cost: 1 }) decides at the same instant, on the same part; it spends nothing.
    assert.deepEqual(await limiter.peek('hot'), { ...(await limiter.limit('hot')), spent: 0 }, `call ${i}`);
  }
  assert.deepEqual(await limiter.peek('hot', { shardKey: 'client-7' }), {
    ...(await limiter.limit('hot', { shardKey: 'client-7' })),
    spent: 0,
  });
});

for (const [name, policy] of [
  ['fixed window', fixedWindow({ limit: 601, window: '1h' })],
  ['sliding window', slidingWindow({ limit: 601, window: '1h' })],
  ['token bucket', tokenBucket({ capacity: 601, refillPerSecond: 1 / 3600 })],
] as const) {
  test(`${name}: 7 shards admit exactly the limit, round-robin or by shard key`, async () => {
    const roundRobin = new RateLimiter({ policy, shards: 7, clock: () => 5_000 });
    let admitted = 0;
    for (let i = 0; i < 1400; i++) if ((await roundRobin.limit('hot')).allowed) admitted++;
    assert.equal(admitted, 601);
    const keyed = new RateLimiter({ policy, shards: 7, clock: () => 5_000 });
    admitted = 0;
    for (let i = 0; i < 3000; i++) if ((await keyed.limit('hot', { shardKey: `c${i % 50}` })).allowed) admitted++;
    // Each shard key sticks to its part; 50 keys cover all 7 parts, which add up to the limit.
    assert.equal(admitted, 601);
  });
}
