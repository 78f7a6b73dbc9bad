// Child process of bench/http.ts: serves ONE configuration on 127.0.0.1 and
// prints `port <n>` once listening. One process per configuration and
// repetition, so no framework or limiter warms the JIT for another.
// Usage: node --import tsx bench/lib/http-server.ts <config> [redisPort]

import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { rateLimit as flowgateExpress } from '../../src/http/express.js';
import { rateLimit as flowgateFastify } from '../../src/http/fastify.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CONFIGS } from './http-configs.js';
import { koaServer, nestServer } from './http-server-more.js';

// Limits so high that every request is admitted: the cost of the middleware, not of a 429.
const LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;

function redis(port: string | undefined): Redis {
  if (!port) throw new Error('this configuration needs a redis port');
  return new Redis({ port: Number(port), host: '127.0.0.1', lazyConnect: false });
}

function flowgateLimiter(redisPort?: string): RateLimiter {
  const policy = fixedWindow({ limit: LIMIT, window: WINDOW_MS });
  return new RateLimiter(
    redisPort === undefined ? { policy } : { policy, store: new RedisStore({ client: redis(redisPort) }) },
  );
}

async function fastifyServer(config: string, redisPort?: string) {
  const app = Fastify({ logger: false });
  if (config === 'fastify+flowgate') {
    await app.register(flowgateFastify, { limiter: flowgateLimiter(), validate: process.env.FG_VALIDATE !== '0' });
  }
  if (config === 'fastify+flowgate-redis') {
    await app.register(flowgateFastify, { limiter: flowgateLimiter(redisPort) });
  }
  if (config === 'fastify+@fastify/rate-limit')
    await app.register(fastifyRateLimit, { max: LIMIT, timeWindow: WINDOW_MS });
  if (config === 'fastify+@fastify/rate-limit-redis') {
    await app.register(fastifyRateLimit, { max: LIMIT, timeWindow: WINDOW_MS, redis: redis(redisPort) });
  }
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

async function expressServer(config: string) {
  const app = express();
  app.disable('x-powered-by');
  if (config === 'express+flowgate') app.use(flowgateExpress({ limiter: flowgateLimiter() }));
  if (config === 'express+express-rate-limit') {
    app.use(expressRateLimit({ limit: LIMIT, windowMs: WINDOW_MS, standardHeaders: 'draft-8', legacyHeaders: false }));
  }
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' });
  });
  return await new Promise<number>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const [config = '', redisPort] = process.argv.slice(2);
if (!(CONFIGS as readonly string[]).includes(config)) throw new Error(`unknown config ${config}; known: ${CONFIGS}`);
const port = config.startsWith('fastify')
  ? await fastifyServer(config, redisPort)
  : config.startsWith('koa')
    ? await koaServer(config, LIMIT, WINDOW_MS, () => flowgateLimiter())
    : config.startsWith('nestjs')
      ? await nestServer(config, LIMIT, WINDOW_MS, () => flowgateLimiter())
      : await expressServer(config);
// The parent asks for CPU time around each load run: CPU µs per request is far
// less sensitive than req/s to other processes sharing the machine.
process.on('message', () => {
  const { user, system } = process.cpuUsage();
  process.send?.({ cpuUs: user + system });
});
process.stdout.write(`port ${port}\n`);
