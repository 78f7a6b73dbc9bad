/**
 * Attack (a new user's mistake, or names taken from configuration): a limit
 * named `__proto__`. The name passed the name check (letters and
 * underscores), but assigning it on a plain object sets the object's
 * prototype instead of a property: a set decision's `limits` lost that
 * limit's decision (`Object.keys`, JSON, the denial cache's copies), while
 * `violated` still named it. Such a name is refused at construction, like any
 * other invalid name; names that only shadow an inherited property
 * (`constructor`, `toString`) are ordinary own properties and work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';

test('a limit named __proto__ is refused at construction with FG_LIMIT_NAME_INVALID', () => {
  // A computed key makes an own property named __proto__, as JSON.parse does.
  const limits = { ['__proto__']: fixedWindow({ limit: 1, window: '1m' }), b: fixedWindow({ limit: 5, window: '1m' }) };
  assert.deepEqual(Object.keys(limits), ['__proto__', 'b']);
  assert.throws(
    () => new RateLimiter({ limits }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FG_LIMIT_NAME_INVALID');
      assert.match(error.message, /RateLimiter\.limits\.__proto__/);
      assert.match(error.message, /not __proto__/);
      return true;
    },
  );
});

test('limits named constructor and toString decide, deny and report like any other', async () => {
  let now = 1_900_000_000_000;
  const limiter = new RateLimiter({
    limits: { constructor: fixedWindow({ limit: 1, window: '1m' }), toString: fixedWindow({ limit: 5, window: '1m' }) },
    clock: () => now,
    denialCache: true,
  });
  const cost = JSON.parse('{"constructor": 1, "toString": 1}');
  assert.equal((await limiter.limit('k', { cost })).allowed, true);
  const denied = await limiter.limit('k', { cost });
  now += 10;
  const cached = await limiter.limit('k', { cost });
  for (const d of [denied, cached]) {
    assert.equal(d.allowed, false);
    assert.deepEqual(d.violated, ['constructor']);
    assert.deepEqual(Object.keys(d.limits), ['constructor', 'toString']);
    assert.equal(d.limits.constructor.allowed, false);
  }
});
