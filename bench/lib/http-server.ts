// Child process of bench/http.ts: builds ONE configuration's app, in its own process
// so that no framework or limiter warms the JIT for another. With the socket transport
// it serves on 127.0.0.1 and prints `port <n>`; with the inject transport it prints
// `ready` and, asked `{ injectMs, concurrency }` over IPC, answers requests made
// in-process (light-my-request, or Fastify's inject), `concurrency` at a time, for
// `injectMs`, and reports how many and the CPU time they took.
// Usage: node --import tsx bench/lib/http-server.ts <config> [redisPort] [socket|inject]

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
import { type BenchApp, koaServer, nestServer, nodeApp } from './http-server-more.js';

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

async function fastifyServer(config: string, redisPort?: string): Promise<BenchApp> {
  const app = Fastify({ logger: false });
  if (config === 'fastify+flowgate') {
    await app.register(flowgateFastify, { limiter: flowgateLimiter(), validate: process.env.FG_VALIDATE !== '0' });
  }
  if (config === 'fastify+flowgate-redis') {
    await app.register(flowgateFastify, { limiter: flowgateLimiter(redisPort) });
  }
  if (config === 'fastify+@fastify/rate-limit')
    await app.register(fastifyRateLimit, { max: LIMIT, timeWindow: WINDOW_MS });
  // The floor under any limiter that sends two headers: a hook that sets constant ones, deciding nothing.
  if (config === 'fastify+headers-only') {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('ratelimit-policy', '"default";q=1000000000;w=60');
      reply.header('ratelimit', '"default";r=999999999;t=60');
      done();
    });
  }
  if (config === 'fastify+@fastify/rate-limit-redis') {
    await app.register(fastifyRateLimit, { max: LIMIT, timeWindow: WINDOW_MS, redis: redis(redisPort) });
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

function expressServer(config: string): BenchApp {
  const app = express();
  app.disable('x-powered-by');
  if (config === 'express+flowgate') app.use(flowgateExpress({ limiter: flowgateLimiter() }));
  if (config === 'express+express-rate-limit') {
    app.use(expressRateLimit({ limit: LIMIT, windowMs: WINDOW_MS, standardHeaders: 'draft-8', legacyHeaders: false }));
  }
  // The floors under any Express middleware: one more layer that only calls next(), and one
  // that also sets two constant headers (what any limiter sending two headers pays at least).
  if (config === 'express+noop') app.use((_req, _res, next) => next());
  if (config === 'express+headers-only') {
    app.use((_req, res, next) => {
      res.setHeader('RateLimit-Policy', '"default";q=1000000000;w=60');
      res.setHeader('RateLimit', '"default";r=999999999;t=60');
      next();
    });
  }
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' });
  });
  return nodeApp(app);
}

const [config = '', redisPort, transport = 'socket'] = process.argv.slice(2);
if (!(CONFIGS as readonly string[]).includes(config)) throw new Error(`unknown config ${config}; known: ${CONFIGS}`);
const app = config.startsWith('fastify')
  ? await fastifyServer(config, redisPort)
  : config.startsWith('koa')
    ? koaServer(config, LIMIT, WINDOW_MS, () => flowgateLimiter())
    : config.startsWith('nestjs')
      ? await nestServer(config, LIMIT, WINDOW_MS, () => flowgateLimiter())
      : expressServer(config);

/** Answers injected requests, `concurrency` in flight, until `ms` have passed; throws on any status but 200. */
async function injectFor(ms: number, concurrency: number): Promise<number> {
  const deadline = performance.now() + ms;
  let answered = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      const { statusCode } = await app.inject();
      if (statusCode !== 200) throw new Error(`${config}: status ${statusCode}; raise the limits`);
      answered++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answered;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
// The parent asks for CPU time around each load run (socket), or for a turn of injected
// requests with its count and CPU time (inject).
// bench/http-instructions.ts runs this child under valgrind and asks it to exit: its counts are
// printed when the process ends.
process.on('message', (m: 'exit' | { injectMs?: number; concurrency?: number }) => {
  if (m === 'exit') process.exit(0);
  if (m.injectMs === undefined) {
    process.send?.({ cpuUs: cpuNow() });
    return;
  }
  const before = cpuNow();
  const t0 = performance.now();
  injectFor(m.injectMs, m.concurrency ?? 1).then(
    (count) => process.send?.({ count, cpuUs: cpuNow() - before, ms: performance.now() - t0 }),
    (error: Error) => process.send?.({ error: error.message }),
  );
});
process.stdout.write(transport === 'inject' ? 'ready\n' : `port ${await app.listen()}\n`);
