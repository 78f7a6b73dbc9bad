/**
 * Attack: the adapters keep what flowgate knows of a request (who decided it,
 * the headers sent so far) on the request object itself, under a symbol, and
 * read its prototype through the inlined `__proto__` accessor. A request
 * object that takes no new property (frozen, sealed, non-extensible: a fetch
 * `Request` a framework froze) made `limit(request)` throw a TypeError, so
 * such a request could not be limited at all; a Proxy whose `get` refuses
 * unknown names (strict wrappers) threw at the `__proto__` read that
 * `Object.getPrototypeOf` never makes. Each must be decided, its decision and
 * headers found again, a second decision by the same limiter reported once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimit } from '../../src/http/fetch.js';
import { requestState } from '../../src/http/request-state.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const T0 = 1_900_000_000_000;
const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });

const SHUT: Record<string, (request: Request) => Request> = {
  frozen: (r) => Object.freeze(r),
  sealed: (r) => Object.seal(r),
  'not extensible': (r) => Object.preventExtensions(r),
};

for (const [how, shut] of Object.entries(SHUT)) {
  test(`a ${how} fetch Request is decided, its decision and headers found again`, async () => {
    const errors: string[] = [];
    const limit = rateLimit({
      limiter: limiterOf(2),
      trustProxy: false,
      logger: { warn: () => {}, error: (message: string) => errors.push(message) },
    });
    const first = shut(new Request('http://localhost/'));
    assert.equal(await limit(first, { address: '203.0.113.7' }), undefined);
    assert.equal(limit.decisionFor(first)?.remaining, 1);
    assert.equal(limit.headersFor(first).get('ratelimit'), '"default";r=1;t=20');
    const second = shut(new Request('http://localhost/'));
    assert.equal(await limit(second, { address: '203.0.113.7' }), undefined);
    assert.equal((await limit(shut(new Request('http://localhost/')), { address: '203.0.113.7' }))?.status, 429);
    // The same request decided again by the same limiter: reported (its state was found again).
    await limit(first, { address: '203.0.113.8' });
    await limit(first, { address: '203.0.113.8' });
    assert.equal(errors.filter((m) => m.includes('FG_HTTP_DOUBLE_COUNT')).length, 1, errors.join('\n'));
  });
}

test('request state on objects that take no property: one state per object, found again', () => {
  for (const tag of [
    Object.freeze({}),
    Object.seal({}),
    Object.preventExtensions({}),
    Object.freeze(Object.create(null)),
  ]) {
    const state = requestState(tag);
    assert.equal(requestState(tag), state);
    assert.notEqual(requestState(Object.freeze({})), state);
  }
});
