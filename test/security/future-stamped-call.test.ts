/**
 * Attack: one call stamped far ahead (a caller with a skewed clock, or a
 * crafted request time) made the memory store reclaim other keys that were
 * still in use, so when the clock came back a capacity-5 key admitted 10.
 * The store reclaims by the median of its last three clock readings: no
 * single call changes the decisions of other keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, MemoryStore, type Policy, RateLimiter, slidingLog, tokenBucket } from '../../src/index.js';

const T0 = 1_800_000_000_000;

for (const [name, policy] of [
  ['token bucket', tokenBucket({ capacity: 5, refillPerSecond: 5 / 60 })],
  ['fixed window', fixedWindow({ limit: 5, window: '1m' })],
  ['sliding log', slidingLog({ limit: 5, window: '1m' })],
] as [string, Policy][]) {
  test(`${name}: one call 60 s ahead does not give other keys their capacity back`, async () => {
    let now = T0;
    const limiter = new RateLimiter({ policy, store: new MemoryStore(), clock: () => now });
    let admitted = 0;
    for (let i = 0; i < 5; i++) if ((await limiter.limit('victim')).allowed) admitted++;
    now = T0 + 60_000;
    await limiter.limit('someone-else');
    now = T0 + 1;
    for (let i = 0; i < 5; i++) if ((await limiter.limit('victim')).allowed) admitted++;
    assert.equal(admitted, 5);
  });
}
