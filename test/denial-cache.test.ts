import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type BoundStore,
  type Decision,
  type FlowgateConfigError,
  fixedWindow,
  MemoryStore,
  RateLimiter,
  type Store,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';

/** A MemoryStore that counts the calls reaching it. */
function countingStore(): { store: Store; calls: () => number } {
  const inner = new MemoryStore();
  let calls = 0;
  const store: Store = {
    bind(binding) {
      const bound = inner.bind(binding);
      const counted: BoundStore = {
        limit: (keys, cost, deadline) => {
          calls++;
          return bound.limit(keys, cost, deadline);
        },
        peek: (keys, deadline) => {
          calls++;
          return bound.peek(keys, deadline);
        },
        refund: (keys, refunds, deadline) => bound.refund(keys, refunds, deadline),
        reset: (keys, deadline) => bound.reset(keys, deadline),
      };
      return counted;
    },
  };
  return { store, calls: () => calls };
}

test('a blocked key is answered in-process until retryAfterMs has passed', async () => {
  let now = 1_000_000;
  const { store, calls } = countingStore();
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 2, window: 1000 }),
    store,
    clock: () => now,
    denialCache: true,
  });
  await limiter.limit('k');
  await limiter.limit('k');
  const first = await limiter.limit('k');
  assert.equal(first.allowed, false);
  assert.equal(first.retryAfterMs, 1000);
  assert.equal(calls(), 3);
  now += 400;
  const cached = await limiter.limit('k');
  assert.deepEqual(cached, { ...first, retryAfterMs: 600, resetMs: 600, atMs: first.atMs + 400 });
  assert.equal((await limiter.peek('k')).retryAfterMs, 600);
  assert.equal(calls(), 3, 'no store call while the denial holds');
  now += 600;
  assert.equal((await limiter.limit('k')).allowed, true, 'admitted exactly at retryAfterMs, by the store');
  assert.equal(calls(), 4);
});

test('another cost than the one denied still asks the store', async () => {
  const now = 0;
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 3, window: 1000 }),
    clock: () => now,
    denialCache: {},
  });
  await limiter.limit('k', { cost: 2 });
  assert.equal((await limiter.limit('k', { cost: 2 })).allowed, false);
  assert.equal((await limiter.limit('k', { cost: 1 })).allowed, true);
});

test('reset forgets the cached denial', async () => {
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 1, window: '1h' }),
    clock: () => 0,
    denialCache: true,
  });
  await limiter.limit('k');
  assert.equal((await limiter.limit('k')).allowed, false);
  await limiter.reset('k');
  assert.equal((await limiter.limit('k')).allowed, true);
});

test('the cache is bounded by maxKeys', async () => {
  const { store, calls } = countingStore();
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 1, window: '1h' }),
    store,
    clock: () => 0,
    denialCache: { maxKeys: 2 },
  });
  for (const key of ['a', 'b', 'c']) {
    await limiter.limit(key);
    await limiter.limit(key);
  }
  const before = calls();
  await limiter.limit('c');
  await limiter.limit('b');
  assert.equal(calls(), before, 'the two newest denials are cached');
  await limiter.limit('a');
  assert.equal(calls(), before + 1, 'the oldest was evicted');
});

test('never admits what the store denies, and agrees with it on every denial (random traces)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          advance: fc.integer({ min: 0, max: 300 }),
          key: fc.constantFrom('a', 'b'),
          cost: fc.integer({ min: 1, max: 3 }),
        }),
        {
          maxLength: 60,
        },
      ),
      async (steps) => {
        let now = 5_000;
        const clock = (): number => now;
        const policy = slidingWindow({ limit: 3, window: 1000 });
        const plain = new RateLimiter({ policy, clock });
        const cached = new RateLimiter({ policy, clock, denialCache: true });
        const bucketPlain = new RateLimiter({ policy: tokenBucket({ capacity: 3, refillPerSecond: 2 }), clock });
        const bucketCached = new RateLimiter({
          policy: tokenBucket({ capacity: 3, refillPerSecond: 2 }),
          clock,
          denialCache: true,
        });
        for (const step of steps) {
          now += step.advance;
          for (const [a, b] of [
            [plain, cached],
            [bucketPlain, bucketCached],
          ] as const) {
            const expected: Decision = await a.limit(step.key, { cost: step.cost });
            const actual: Decision = await b.limit(step.key, { cost: step.cost });
            // Same state on both sides: every time is exact; remaining is as of the store's denial.
            assert.deepEqual({ ...actual, remaining: 0 }, { ...expected, remaining: 0 });
            assert.ok(actual.remaining <= expected.remaining);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('bad denialCache options are named', () => {
  const policy = fixedWindow({ limit: 1, window: 1000 });
  for (const bad of [1, 'yes', { maxKeys: 0 }, { maxKeys: 1.5 }, { size: 10 }]) {
    assert.throws(
      () => new RateLimiter({ policy, denialCache: bad as never }),
      (e: FlowgateConfigError) => /RateLimiter\.denialCache/.test(e.message),
      JSON.stringify(bad),
    );
  }
});
