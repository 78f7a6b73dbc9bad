import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter, type Store, StoreTimeoutError } from '../src/index.js';
import { hangingStore } from './support/hanging-store.js';

test('reset gives up after timeoutMs with a StoreTimeoutError, on every shard', async () => {
  const limiter = new RateLimiter({
    policy: fixedWindow({ limit: 4, window: 1000 }),
    store: hangingStore,
    timeoutMs: 30,
    shards: 2,
  });
  await assert.rejects(limiter.reset('k'), StoreTimeoutError);
});

test('with timeoutMs: Infinity, reset waits for the store', async () => {
  let resets = 0;
  const store: Store = {
    bind: () => ({
      limit: () => new Promise(() => {}),
      peek: () => new Promise(() => {}),
      refund: () => undefined,
      reset: () => {
        resets++;
        return Promise.resolve();
      },
    }),
  };
  const limiter = new RateLimiter({ policy: fixedWindow({ limit: 4, window: 1000 }), store, timeoutMs: Infinity });
  await limiter.reset('k');
  assert.equal(resets, 1);
});
