// Fastify servers of bench/lib/http-server.ts: bare, with flowgate, with @fastify/rate-limit
// (memory or Redis), and with a hook that sets two constant headers (the floor of any limiter).
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { rateLimit as flowgateFastify } from '../../src/http/fastify.js';
import type { RateLimiter } from '../../src/index.js';
import type { BenchApp } from './http-app.js';

export async function fastifyServer(
  config: string,
  limit: number,
  windowMs: number,
  limiter: () => RateLimiter,
  redisLimiter: () => RateLimiter,
  redis: () => Redis,
): Promise<BenchApp> {
  const app = Fastify({ logger: false });
  if (config === 'fastify+flowgate') {
    await app.register(flowgateFastify, { limiter: limiter(), validate: process.env.FG_VALIDATE !== '0' });
  }
  if (config === 'fastify+flowgate-redis') {
    await app.register(flowgateFastify, { limiter: redisLimiter() });
  }
  if (config === 'fastify+@fastify/rate-limit')
    await app.register(fastifyRateLimit, { max: limit, timeWindow: windowMs });
  // The floor under any limiter that sends two headers: a hook that sets constant ones, deciding nothing.
  if (config === 'fastify+headers-only') {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('ratelimit-policy', '"default";q=1000000000;w=60');
      reply.header('ratelimit', '"default";r=999999999;t=60');
      done();
    });
  }
  if (config === 'fastify+@fastify/rate-limit-redis') {
    await app.register(fastifyRateLimit, { max: limit, timeWindow: windowMs, redis: redis() });
  }
  app.get('/', async () => ({ hello: 'world' }));
  await app.ready();
  return {
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return (app.server.address() as AddressInfo).port;
    },
    inject: () => app.inject({ method: 'GET', url: '/' }),
  };
}
