import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';

// The seed's retry storm, limit 100 per 60 s: 100 requests in the last 200 ms
// of a window, then 100 in the first 200 ms of the next.
async function boundaryBurst(policy: Policy): Promise<number> {
  let now = 0;
  const limiter = new RateLimiter({ policy, clock: () => now });
  let admitted = 0;
  for (const start of [59_800, 60_000]) {
    for (let i = 0; i < 100; i++) {
      now = start + i * 2;
      if ((await limiter.limit('client')).allowed) admitted++;
    }
  }
  return admitted;
}

test('the fixed window admits 200 across the boundary', async () => {
  assert.equal(await boundaryBurst(fixedWindow({ limit: 100, window: '60s' })), 200);
});

test('the sliding log, the sliding window counter and the token bucket admit 100', async () => {
  assert.equal(await boundaryBurst(slidingLog({ limit: 100, window: '60s' })), 100);
  assert.equal(await boundaryBurst(slidingWindow({ limit: 100, window: '60s' })), 100);
  assert.equal(await boundaryBurst(tokenBucket({ capacity: 100, refillPerSecond: 100 / 60 })), 100);
});

test('the leaky bucket admits 100 and queues them behind each other', async () => {
  assert.equal(await boundaryBurst(leakyBucket({ capacity: 100, leakPerSecond: 100 / 60 })), 100);
});
