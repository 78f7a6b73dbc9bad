import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BoundStore, type Decision, fixedWindow, RateLimiter, type Store, tokenBucket } from '../src/index.js';

/** A store whose every call answers with `answer()` (a value, a promise, or a throw). */
function storeOf(answer: () => Decision | Promise<Decision>): Store {
  return {
    bind(): BoundStore {
      return { limit: answer, peek: answer, refund: () => undefined, reset: () => undefined };
    },
  };
}

const allowed: Decision = {
  allowed: true,
  limit: 5,
  remaining: 4,
  resetMs: 1000,
  retryAfterMs: 0,
  delayMs: 0,
  degraded: false,
  atMs: 1_000,
  spent: 1,
};

test('decide answers synchronously on the memory store, with the same decisions as limit', async () => {
  let now = 1_000_000;
  const clock = () => now;
  const policy = tokenBucket({ capacity: 3, refillPerSecond: 1 });
  const viaDecide = new RateLimiter({ policy, clock });
  const viaLimit = new RateLimiter({ policy, clock });
  for (let i = 0; i < 10; i++) {
    const cost = (i % 2) + 1;
    const sync = viaDecide.decide('k', { cost });
    assert.ok(!(sync instanceof Promise), 'a Decision, not a promise');
    assert.deepEqual(sync, await viaLimit.limit('k', { cost }));
    now += 400;
  }
});

test('decide returns a promise for an asynchronous store, and limit still always returns a promise', async () => {
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 5, window: 1000 }),
    store: storeOf(async () => allowed),
  });
  const answer = limiter.decide('k');
  assert.ok(answer instanceof Promise);
  assert.deepEqual(await answer, allowed);
  const memory = new RateLimiter({ policy: fixedWindow({ limit: 5, window: 1000 }) });
  assert.ok(memory.limit('k') instanceof Promise);
  assert.ok(memory.peek('k') instanceof Promise);
});

test('decide never throws: bad arguments and thrown store errors under onStoreError throw reject', async () => {
  const policy = fixedWindow({ limit: 5, window: 1000 });
  const memory = new RateLimiter({ policy });
  const badKey = memory.decide('');
  assert.ok(badKey instanceof Promise);
  await assert.rejects(badKey, { code: 'FG_KEY_INVALID' });
  await assert.rejects(memory.decide('k', { cost: 6 }) as Promise<Decision>, { code: 'FG_COST_EXCEEDS_LIMIT' });
  const boom = new Error('boom');
  const failing = storeOf(() => {
    throw boom;
  });
  const strict = new RateLimiter({ policy, store: failing, onStoreError: 'throw' });
  const rejected = strict.decide('k');
  assert.ok(rejected instanceof Promise);
  await assert.rejects(rejected, boom);
  await assert.rejects(strict.limit('k'), boom);
  const open = new RateLimiter({ policy, store: failing, onStoreError: 'allow' });
  const degraded = open.decide('k');
  assert.ok(!(degraded instanceof Promise));
  assert.equal(degraded.allowed, true);
  assert.equal(degraded.degraded, true);
  const closed = new RateLimiter({ policy, store: failing, onStoreError: 'deny', logger: false });
  const refused = await closed.limit('k');
  assert.deepEqual([refused.allowed, refused.degraded], [false, true], 'a fail-closed decision says it is degraded');
  assert.equal(refused.retryAfterMs, 1000, 'and asks the client back after one window');
});

test('decide answers a cached denial synchronously, even on an asynchronous store', async () => {
  const now = 5_000;
  let calls = 0;
  const denied: Decision = { ...allowed, allowed: false, remaining: 0, retryAfterMs: 500 };
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 5, window: 1000 }),
    store: storeOf(async () => {
      calls++;
      return denied;
    }),
    clock: () => now,
    denialCache: true,
  });
  assert.deepEqual(await limiter.decide('k'), denied);
  const cached = limiter.decide('k');
  assert.ok(!(cached instanceof Promise));
  assert.equal(cached.allowed, false);
  assert.equal(calls, 1);
});
