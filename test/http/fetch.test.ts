// flowgate/fetch specifics: where the client address comes from, and the response helpers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimit } from '../../src/http/fetch.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { T0 } from './client.js';

const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });
const request = (headers: Record<string, string> = {}) => new Request('http://localhost/', { headers });

test('without trustProxy or key it refuses to guess the client, at construction', () => {
  assert.throws(
    () => rateLimit({ limiter: limiterOf(1) }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FG_HTTP_NO_CLIENT_ADDRESS');
      assert.match(error.message, /info\.address/);
      assert.match(error.message, /X-Forwarded-For/);
      return true;
    },
  );
  assert.doesNotThrow(() => rateLimit({ limiter: limiterOf(1), key: () => 'k' }));
});

test('trustProxy: false needs info.address on every call; without it the call rejects', async () => {
  const limit = rateLimit({ limiter: limiterOf(1), trustProxy: false });
  await assert.rejects(limit(request()), { code: 'FG_HTTP_NO_CLIENT_ADDRESS' });
  assert.equal(await limit(request(), { address: '203.0.113.7' }), undefined);
  assert.equal((await limit(request(), { address: '203.0.113.7' }))?.status, 429);
  assert.equal(await limit(request(), { address: '203.0.113.8' }), undefined);
});

test('trustProxy by hop count reads the client from X-Forwarded-For when the runtime gives no address', async () => {
  const limiter = limiterOf(1);
  const limit = rateLimit({ limiter, trustProxy: 1 });
  assert.equal(await limit(request({ 'x-forwarded-for': '6.6.6.6, 203.0.113.7' })), undefined);
  assert.equal((await limit(request({ 'x-forwarded-for': '7.7.7.7, 203.0.113.7' })))?.status, 429);
  assert.equal((await limiter.peek('203.0.113.7')).allowed, false);
  await assert.rejects(limit(request()), { code: 'FG_HTTP_NO_CLIENT_ADDRESS' });
});

test('respond adds the headers, also to a response whose headers are immutable; headersFor and decisionFor', async () => {
  const limit = rateLimit({ limiter: limiterOf(5), trustProxy: false });
  const req = request();
  assert.equal(await limit(req, { address: '203.0.113.7' }), undefined);
  assert.equal(limit.decisionFor(req)?.remaining, 4);
  assert.equal(limit.headersFor(req).get('ratelimit'), '"default";r=4;t=20');
  const immutable = Response.redirect('http://localhost/next', 302);
  assert.throws(() => immutable.headers.set('x', 'y'));
  const out = limit.respond(req, immutable);
  assert.equal(out.headers.get('ratelimit-policy'), '"default";q=5;w=60');
  const mutable = new Response('ok');
  assert.equal(limit.respond(req, mutable), mutable);
  assert.equal(limit.respond(request(), mutable), mutable, 'an undecided request is left alone');
});
