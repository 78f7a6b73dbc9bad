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

// Routes declared before register(rateLimit): the plugin's onRoute hook never saw them, but its
// onRequest hook runs for them and reads their config.rateLimit on each request.
async function appWithEarlyRoutes() {
  const global = limiterOf(3);
  const own = limiterOf(1);
  const fastify = Fastify();
  fastify.get('/early-off', { config: { rateLimit: false } }, async () => 'ok');
  fastify.get('/early-own', { config: { rateLimit: own } }, async () => 'ok');
  fastify.get('/early-cost', { config: { rateLimit: { cost: 2 } } }, async (request) => request.rateLimit?.remaining);
  await fastify.register(rateLimit, { limiter: global });
  return { fastify, global, own };
}

test('a route declared before register() with config.rateLimit: false stays unlimited', async () => {
  const { fastify, global } = await appWithEarlyRoutes();
  try {
    for (let i = 0; i < 5; i++) {
      const reply = await fastify.inject({ url: '/early-off', remoteAddress: '10.0.1.1' });
      assert.equal(reply.statusCode, 200);
      assert.equal(reply.headers.ratelimit, undefined, 'no headers: the route is not limited');
    }
    assert.equal((await global.peek('10.0.1.1')).remaining, 2, 'nothing spent (peek counts itself)');
  } finally {
    await fastify.close();
  }
});

// Pins what the plugin did before it read configs through the route context: an object
// config.rateLimit is parsed (and validated) by onRoute only, so on a route declared before
// register() it is not known and the plugin's own limit, key and cost apply. If this changes,
// it should change on purpose (it would need validating such configs on their first request).
test('a route declared before register() with an object config.rateLimit gets the plugin limit', async () => {
  const { fastify, global, own } = await appWithEarlyRoutes();
  try {
    const first = await fastify.inject({ url: '/early-own', remoteAddress: '10.0.1.2' });
    assert.equal(first.statusCode, 200);
    assert.equal((await own.peek('10.0.1.2')).allowed, true, "the route's limiter (limit 1) spent nothing");
    assert.equal((await global.peek('10.0.1.2')).remaining, 1, 'the plugin limiter (limit 3) spent 1');
    const cost = await fastify.inject({ url: '/early-cost', remoteAddress: '10.0.1.3' });
    assert.equal(cost.body, '2', 'cost 1 of 3, not 2');
  } finally {
    await fastify.close();
  }
});

test('routes sharing one handler keep their own config.rateLimit; HEAD routes and 404s too', async () => {
  const global = limiterOf(4);
  const fastify = Fastify();
  await fastify.register(rateLimit, { limiter: global });
  const handler = async (request: { rateLimit?: { remaining: number } }) => String(request.rateLimit?.remaining);
  fastify.get('/off', { config: { rateLimit: false } }, handler);
  fastify.get('/two', { config: { rateLimit: { cost: 2 } } }, handler);
  fastify.get('/one', handler);
  await fastify.register(
    async (child) => {
      child.get('/', { config: { rateLimit: { cost: 3 } } }, handler);
    },
    { prefix: '/api' },
  );
  const send = (method: 'GET' | 'HEAD', url: string, ip: string) => fastify.inject({ method, url, remoteAddress: ip });
  try {
    assert.equal((await send('GET', '/off', '10.0.2.1')).headers.ratelimit, undefined);
    assert.equal((await send('GET', '/two', '10.0.2.1')).body, '2');
    assert.equal((await send('GET', '/one', '10.0.2.1')).body, '1');
    // Fastify's automatic HEAD routes carry their GET route's config.
    assert.equal((await send('HEAD', '/off', '10.0.2.2')).headers.ratelimit, undefined);
    assert.equal((await global.peek('10.0.2.2')).remaining, 3, 'HEAD /off spent nothing (peek counts itself)');
    const head = await send('HEAD', '/two', '10.0.2.2');
    assert.equal(item(head.headers.ratelimit as string)[1].get('r'), 2, 'HEAD /two spent 2');
    // A 404 has no route config.rateLimit: the plugin's limit, cost 1.
    const missing = await send('GET', '/missing', '10.0.2.3');
    assert.equal(missing.statusCode, 404);
    assert.equal(item(missing.headers.ratelimit as string)[1].get('r'), 3);
    // A prefix's '/' route is added twice ('/api' and '/api/'); both carry its config.
    assert.equal(item((await send('GET', '/api', '10.0.2.4')).headers.ratelimit as string)[1].get('r'), 1);
    assert.equal((await send('GET', '/api/', '10.0.2.5')).body, '1');
  } finally {
    await fastify.close();
  }
});
