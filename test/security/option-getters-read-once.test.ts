/**
 * Attack: an options object whose getters answer differently on each read,
 * so that validation sees one value and the limiter uses another (a limit
 * of 5 checked, 10^12 used). Every option is read once: the value checked is
 * the value used.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, MemoryStore, RateLimiter, tokenBucket } from '../../src/index.js';

/** An object whose `name` reads `first`, then `later` on every further read. */
function shifty<T extends object>(base: T, name: string, first: unknown, later: unknown): T {
  let reads = 0;
  return Object.defineProperty({ ...base }, name, {
    enumerable: true,
    get: () => (reads++ === 0 ? first : later),
  });
}

test('policy factories use the limit, window and capacity they validated', async () => {
  const fixed = fixedWindow(shifty({ limit: 5, window: 1000 }, 'limit', 5, 1e12));
  assert.equal(fixed.limit, 5);
  const windowed = fixedWindow(shifty({ limit: 5, window: 1000 }, 'window', 1000, 'nonsense'));
  assert.equal(windowed.windowMs, 1000);
  const bucket = tokenBucket(shifty({ capacity: 3, refillPerSecond: 1 }, 'capacity', 3, 1e12));
  assert.equal(bucket.limit, 3);
  const limiter = new RateLimiter({ policy: fixed, clock: () => 1_000_000 });
  const admitted = [];
  for (let i = 0; i < 8; i++) admitted.push((await limiter.limit('k')).allowed);
  assert.equal(admitted.filter(Boolean).length, 5);
});

test('RateLimiter and MemoryStore use the options they validated', async () => {
  const policy = fixedWindow({ limit: 2, window: 1000 });
  // A valid prefix first, then one that would merge every limiter's keys.
  const limiter = new RateLimiter(shifty({ policy, prefix: 'a' }, 'prefix', 'a', ''));
  assert.equal(limiter.prefix, 'a');
  const timed = new RateLimiter(shifty({ policy }, 'timeoutMs', 100, 2 ** 40));
  assert.equal(timed.timeoutMs, 100);
  const store = new MemoryStore(shifty({}, 'maxKeys', 2, 0));
  assert.equal(store.maxKeys, 2);
  // And the other way round: an invalid value first is refused, whatever later reads say.
  assert.throws(() => new RateLimiter(shifty({ policy }, 'timeoutMs', -1, 100)), { code: 'FG_TIMEOUT_INVALID' });
});
