// Fastify per-route limits through the route's config.rateLimit, with real requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { rateLimit } from '../../src/http/fastify.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { item, T0 } from './client.js';

const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });

async function app() {
  const global = limiterOf(2);
  const login = limiterOf(1);
  const fastify = Fastify();
  await fastify.register(rateLimit, { limiter: global });
  fastify.get('/', async () => 'ok');
  fastify.get('/health', { config: { rateLimit: false } }, async () => 'ok');
  fastify.post('/login', { config: { rateLimit: login } }, async () => 'ok');
  fastify.get('/search', { config: { rateLimit: { cost: 2 } } }, async (request) => request.rateLimit?.remaining);
  fastify.get('/shared', { config: { rateLimit: { key: 'everyone', limiter: limiterOf(1) } } }, async () => 'ok');
  return { fastify, global, login };
}

test('Fastify route config.rateLimit: false, a limiter, a cost, a key', async () => {
  const { fastify, global, login } = await app();
  const status = async (method: 'GET' | 'POST', url: string, ip = '10.0.0.1') =>
    (await fastify.inject({ method, url, remoteAddress: ip })).statusCode;
  try {
    assert.deepEqual(await Promise.all([1, 2, 3].map(() => status('GET', '/health'))), [200, 200, 200]);
    assert.equal((await global.peek('10.0.0.1')).remaining, 1, 'the unlimited route spent nothing');
    assert.deepEqual([await status('POST', '/login'), await status('POST', '/login')], [200, 429]);
    assert.equal((await login.peek('10.0.0.1')).allowed, false);
    assert.equal((await global.peek('10.0.0.1')).remaining, 1, 'the login limit replaced the global one');
    const search = await fastify.inject({ method: 'GET', url: '/search', remoteAddress: '10.0.0.2' });
    assert.equal(search.body, '0', 'cost 2 of the global 2');
    assert.deepEqual(item(search.headers.ratelimit as string)[1].get('r'), 0);
    assert.deepEqual(
      [await status('GET', '/shared', '10.0.0.3'), await status('GET', '/shared', '10.0.0.4')],
      [200, 429],
    );
  } finally {
    await fastify.close();
  }
});

test('an invalid route config.rateLimit stops the start-up with a message naming the route', async () => {
  const fastify = Fastify();
  await fastify.register(rateLimit, { limiter: limiterOf(1) });
  assert.throws(
    () => fastify.get('/x', { config: { rateLimit: { cost: 0, key: '', limit: 5 } as never } }, async () => 'ok'),
    (error: Error & { code?: string }) => {
      assert.match(error.message, /GET \/x config\.rateLimit\.cost: received 0/);
      assert.match(error.message, /config\.rateLimit\.key/);
      assert.match(error.message, /config\.rateLimit\.limit/);
      return true;
    },
  );
  await fastify.close();
});
