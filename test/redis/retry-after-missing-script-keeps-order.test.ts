/**
 * Attack: a call that finds no function (FUNCTION FLUSH, a Redis restarted
 * without persistence) or no script (NOSCRIPT) goes again, but calls made
 * after it could be sent meanwhile and run first: a `reset` made after a
 * `limit` ran before that limit's retry, and the limit's units were spent
 * after the reset. `reset` keeps program order with the `limit` calls made
 * before it (DESIGN, Redis store), also across such a retry: the retry goes
 * before every call this process makes after it.
 *
 * A real redis-server; the client's answers are held only to choose which
 * side of a window a command falls on, never to change what Redis runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

/** A promise and the function that settles it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Until every job and every I/O callback queued so far has run (a batch made now has been sent). */
function turns(n: number): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < n; i++) chain = chain.then(() => new Promise<void>((r) => setImmediate(r)));
  return chain;
}

function limiterOn(client: Redis, prefix: string): RateLimiter {
  return new RateLimiter({
    policy: fixedWindow({ limit: 10, window: '1h' }),
    store: new RedisStore({ client }),
    prefix,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
  });
}

test('a reset made while a limit reloads the missing function runs after that limit', async () => {
  await db.admin.flushall();
  const client = new Redis(db.server.url);
  // FUNCTION LOAD runs at once on the server; its answer reaches flowgate when `release` is called.
  let hold = false;
  const loadSent = signal();
  const release = signal();
  const call = client.call.bind(client) as (...args: string[]) => Promise<unknown>;
  (client as unknown as { call: typeof call }).call = (...args: string[]) => {
    const answer = call(...args);
    if (!hold || args[0] !== 'FUNCTION' || args[1] !== 'LOAD') return answer;
    loadSent.resolve();
    return release.promise.then(() => answer);
  };
  try {
    const limiter = limiterOn(client, 'reload');
    await limiter.peek('warm');
    await db.admin.call('FUNCTION', 'FLUSH');
    hold = true;
    const limited = limiter.limit('k');
    await loadSent.promise;
    // Made after the limit, while its retry waits for the library.
    const reset = limiter.reset('k');
    await turns(3);
    release.resolve();
    const outcomes = await Promise.allSettled([limited, reset]);
    assert.equal(outcomes[1].status, 'fulfilled');
    // Nothing ran after it: the retry goes, before the reset.
    const limitedOutcome = outcomes[0];
    assert.equal(limitedOutcome.status === 'fulfilled' && limitedOutcome.value.remaining, 9);
    assert.equal((await limiter.peek('k')).remaining, 9, 'the limit was decided after the reset made after it');
  } finally {
    client.disconnect();
  }
});
