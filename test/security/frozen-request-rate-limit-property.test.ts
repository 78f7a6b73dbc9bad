/**
 * Attack: the adapters hand the decision to the handler by assigning it to an
 * object the application controls (`req.rateLimit`, Koa's
 * `ctx.state.rateLimit`, Fastify's `request.rateLimit`). An application (or a
 * plugin) that freezes, seals or locks the request, or that owns a read-only
 * `rateLimit` (a getter-only decorator, a frozen express-rate-limit property),
 * made that assignment throw: a 500 for a request that was admitted, and on
 * the node middleware with an asynchronous store an unhandled rejection,
 * which ends the process. The request must be decided and served as any
 * other, and the decision found through the adapter's `rateLimitOf`.
 * (Hono's `c.set` writes a private map and fetch's `decisionFor` a WeakMap:
 * neither assigns to an object the application controls.)
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express5 from 'express';
// @ts-expect-error express4 is an npm alias of express@4 and has no types of its own.
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import { rateLimit as expressRateLimit, rateLimitOf as expressRateLimitOf } from '../../src/http/express.js';
import { rateLimit as fastifyRateLimit, rateLimitOf as fastifyRateLimitOf } from '../../src/http/fastify.js';
import { rateLimit as koaRateLimit, rateLimitOf as koaRateLimitOf } from '../../src/http/koa.js';
import { FlowgateGuard, FlowgateModule, RateLimitDecision, type RateLimitInfo } from '../../src/http/nestjs/index.js';
import { rateLimit as nodeRateLimit, rateLimitOf } from '../../src/http/node.js';
import { type Decision, fixedWindow, RateLimiter } from '../../src/index.js';
import { get, T0 } from '../http/client.js';

const limiterOf = (limit: number) => new RateLimiter({ policy: fixedWindow({ limit, window: '1m' }), clock: () => T0 });

/** A limiter whose every answer is a promise, as a Redis store's. */
class LaterLimiter extends RateLimiter {
  override limit(key: string, options?: { cost?: number }): Promise<Decision> {
    return new Promise((resolve, reject) => setImmediate(() => super.limit(key, options).then(resolve, reject)));
  }
}

const SHUT: Record<string, <T extends object>(o: T) => T> = {
  frozen: (o) => Object.freeze(o),
  sealed: (o) => Object.seal(o),
  'not extensible': (o) => Object.preventExtensions(o),
  'with a getter-only rateLimit': (o) =>
    Object.defineProperty(o, 'rateLimit', { get: () => 'theirs', configurable: false, enumerable: true }),
};

/** A node request and response, not connected: the middleware reads headers and the socket's address. */
function requestPair(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.headers = {};
  return { req, res: new ServerResponse(req) };
}

/** Runs a (req, res, next) middleware to its next(); rejects if it throws or passes an error. */
function through(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void) => void,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  return new Promise((resolve, reject) => {
    middleware(req, res, (error) => (error === undefined ? resolve() : reject(error)));
  });
}

describe('node middleware', () => {
  for (const [how, shut] of Object.entries(SHUT)) {
    for (const [store, limiter] of [
      ['memory', () => limiterOf(2)],
      [
        'a store that answers later',
        () => new LaterLimiter({ policy: fixedWindow({ limit: 2, window: '1m' }), clock: () => T0 }),
      ],
    ] as const) {
      test(`a ${how} request (${store}) is admitted and its decision found`, async () => {
        let denied: (decision: Decision) => void = () => {};
        const denial = new Promise<Decision>((resolve) => {
          denied = resolve;
        });
        const limit = nodeRateLimit({ limiter: limiter(), key: () => 'client', onLimited: (_q, _s, d) => denied(d) });
        const first = requestPair();
        shut(first.req);
        await through(limit, first.req, first.res);
        assert.equal(rateLimitOf(first.req)?.remaining, 1);
        assert.equal(first.res.getHeader('ratelimit'), '"default";r=1;t=20');
        const second = requestPair();
        shut(second.req);
        await through(limit, second.req, second.res);
        assert.equal(rateLimitOf(second.req)?.remaining, 0);
        const third = requestPair();
        shut(third.req);
        limit(third.req, third.res, (error) => assert.fail(`next(${String(error)}) on a denial`));
        assert.equal((await denial).allowed, false);
        assert.equal(third.res.statusCode, 429);
        assert.equal(rateLimitOf(third.req)?.allowed, false);
      });
    }
  }
});

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4],
] as [string, () => { request: object }][]) {
  test(`${name}: a request frozen after something assigned req.rateLimit gets flowgate's decision`, async () => {
    const app = express();
    const limit = expressRateLimit({ limiter: limiterOf(5), key: () => 'client' });
    const { req, res } = requestPair();
    Object.setPrototypeOf(req, app.request);
    (req as { rateLimit?: unknown }).rateLimit = { theirs: true };
    Object.freeze(req);
    await through(limit as never, req, res);
    assert.equal(expressRateLimitOf(req)?.remaining, 4);
  });
}

async function serve(server: Server): Promise<{ host: string; port: number; close(): void }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

test('koa: a frozen ctx.state; the handler finds the decision through rateLimitOf(ctx)', async () => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.state = Object.freeze({});
    await next();
  });
  app.use(koaRateLimit({ limiter: limiterOf(2), key: () => 'client' }));
  app.use((ctx) => {
    ctx.body = String(koaRateLimitOf(ctx)?.remaining);
  });
  const running = await serve(createServer(app.callback()));
  try {
    const replies = [await get(running as never), await get(running as never), await get(running as never)];
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 429],
    );
    assert.deepEqual(
      replies.slice(0, 2).map((r) => r.body),
      ['1', '0'],
    );
  } finally {
    running.close();
  }
});

test('fastify: a getter-only request.rateLimit decorator; the handler finds the decision through rateLimitOf', async () => {
  const app = Fastify();
  app.decorateRequest('rateLimit', { getter: () => undefined });
  await app.register(fastifyRateLimit, { limiter: limiterOf(2), key: () => 'client' });
  app.get('/', async (request) => String(fastifyRateLimitOf(request)?.remaining));
  try {
    const replies = [await app.inject('/'), await app.inject('/'), await app.inject('/')];
    assert.deepEqual(
      replies.map((r) => r.statusCode),
      [200, 200, 429],
    );
    assert.deepEqual(
      replies.slice(0, 2).map((r) => r.body),
      ['1', '0'],
    );
  } finally {
    await app.close();
  }
});

for (const [name, adapter] of [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
] as const) {
  test(`nestjs on ${name}: a getter-only req.rateLimit; @RateLimitDecision() finds the decision`, async () => {
    class AppController {
      hello(decision: RateLimitInfo | undefined) {
        return String(decision?.remaining);
      }
    }
    Controller()(AppController);
    const descriptor = Object.getOwnPropertyDescriptor(AppController.prototype, 'hello') as PropertyDescriptor;
    Get('/')(AppController.prototype, 'hello', descriptor);
    RateLimitDecision()(AppController.prototype, 'hello', 0);
    class AppModule {}
    Module({
      imports: [FlowgateModule.forRoot({ limiter: limiterOf(2), key: () => 'client' })],
      controllers: [AppController],
      providers: [{ provide: APP_GUARD, useClass: FlowgateGuard }],
    })(AppModule);
    const app = await NestFactory.create(AppModule, adapter() as never, { logger: false });
    const lock = (req: object) => SHUT['with a getter-only rateLimit']?.(req);
    if (name === 'express') {
      app.use((req: object, _res: unknown, next: () => void) => {
        lock(req);
        next();
      });
    } else {
      const fastify = app.getHttpAdapter().getInstance() as ReturnType<typeof Fastify>;
      fastify.addHook('onRequest', async (request: object) => {
        lock(request);
      });
    }
    await app.listen(0, '127.0.0.1');
    const running = { host: '127.0.0.1', port: (app.getHttpServer().address() as AddressInfo).port };
    try {
      const replies = [await get(running as never), await get(running as never), await get(running as never)];
      assert.deepEqual(
        replies.map((r) => r.status),
        [200, 200, 429],
      );
      assert.deepEqual(
        replies.slice(0, 2).map((r) => r.body),
        ['1', '0'],
      );
    } finally {
      await app.close();
    }
  });
}
