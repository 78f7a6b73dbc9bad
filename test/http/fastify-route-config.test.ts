// FastifyRouteConfig: a request's route config read from Fastify's route context instead of
// the request.routeOptions getter, the same object, and the getter when there is no context.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify, { type FastifyRequest } from 'fastify';
import { rateLimit } from '../../src/http/fastify.js';
import { FastifyRouteConfig } from '../../src/http/fastify-route-config.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { T0 } from './client.js';

const limiter = () => new RateLimiter({ policy: fixedWindow({ limit: 100, window: '1m' }), clock: () => T0 });

/** Counts reads of `request.routeOptions` from here on (an own getter over Fastify's). */
function countRouteOptions(request: FastifyRequest, count: { reads: number }): void {
  let inherited: PropertyDescriptor | undefined;
  for (let o: object | null = request; o !== null && inherited === undefined; o = Object.getPrototypeOf(o)) {
    inherited = Object.getOwnPropertyDescriptor(o, 'routeOptions');
  }
  const get = inherited?.get;
  assert.ok(get, "Fastify's routeOptions getter");
  Object.defineProperty(request, 'routeOptions', {
    configurable: true,
    get() {
      count.reads++;
      return get.call(this);
    },
  });
}

test('on Fastify, of(request) is request.routeOptions.config, read through the route context after the first request', async () => {
  const configs = new FastifyRouteConfig();
  const seen: boolean[] = [];
  const reads: number[] = [];
  const fastify = Fastify();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const count = { reads: 0 };
    countRouteOptions(request, count);
    const config = configs.of(request);
    reads.push(count.reads);
    seen.push(config === request.routeOptions.config);
    done();
  });
  fastify.get('/a', { config: { tag: 'a' } }, async () => 'a');
  fastify.get('/b', async () => 'b');
  try {
    for (const url of ['/a', '/b', '/missing', '/a']) await fastify.inject({ url });
    await fastify.inject({ method: 'HEAD', url: '/b' });
    assert.deepEqual(seen, [true, true, true, true, true], 'the same object as routeOptions.config');
    assert.deepEqual(reads, [1, 0, 0, 0, 0], 'routeOptions read on the first request only');
  } finally {
    await fastify.close();
  }
});

test('the plugin reads routeOptions on no request after the first', async () => {
  const reads: number[] = [];
  const counts: { reads: number }[] = [];
  const fastify = Fastify();
  // Added before the plugin's hook, so it runs first.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const count = { reads: 0 };
    counts.push(count);
    countRouteOptions(request, count);
    done();
  });
  await fastify.register(rateLimit, { limiter: limiter() });
  fastify.get('/', { config: { rateLimit: { cost: 1 } } }, async () => 'ok');
  try {
    for (let i = 0; i < 3; i++) reads.push((await fastify.inject({ url: '/' })).statusCode);
    assert.deepEqual(reads, [200, 200, 200]);
    assert.deepEqual(
      counts.map((c) => c.reads),
      [1, 0, 0],
    );
  } finally {
    await fastify.close();
  }
});

/** A request as a Fastify without (or with another) route context symbol would make it. */
function fakeRequest(config: object, context?: { symbol: symbol; value: unknown }) {
  const count = { reads: 0 };
  const request = {
    get routeOptions() {
      count.reads++;
      return { config };
    },
  } as unknown as FastifyRequest;
  if (context) (request as unknown as Record<symbol, unknown>)[context.symbol] = context.value;
  return { request, count };
}

test('without a route context symbol, every request reads routeOptions', () => {
  const configs = new FastifyRouteConfig();
  const config = { rateLimit: false };
  const { request, count } = fakeRequest(config);
  for (let i = 0; i < 3; i++) assert.equal(configs.of(request), config);
  assert.equal(count.reads, 3);
});

test("a 'fastify.context' symbol whose config is another object is not used", () => {
  const configs = new FastifyRouteConfig();
  const config = { rateLimit: false };
  const other = { symbol: Symbol('fastify.context'), value: { config: { rateLimit: { cost: 2 } } } };
  const { request, count } = fakeRequest(config, other);
  for (let i = 0; i < 3; i++) assert.equal(configs.of(request), config);
  assert.equal(count.reads, 3);
});

test("a 'fastify.context' symbol whose config is routeOptions.config is used from the second request", () => {
  const configs = new FastifyRouteConfig();
  const config = { rateLimit: false };
  const context = { symbol: Symbol('fastify.context'), value: { config } };
  const { request, count } = fakeRequest(config, context);
  for (let i = 0; i < 3; i++) assert.equal(configs.of(request), config);
  assert.equal(count.reads, 1);
});
