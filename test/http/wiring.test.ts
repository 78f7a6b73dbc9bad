// Issue: wrong wiring gave walls of private field names. rateLimit(limiter)
// instead of rateLimit({ limiter }) listed the limiter's private fields as
// unknown options; the Fastify plugin mounted in Express, or an Express
// middleware registered as a Fastify plugin, failed with the fields of a
// request or a Fastify instance (or an unhandled rejection). Each mistake
// now fails with FG_HTTP_MISWIRED and says what to write instead.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import express5 from 'express';
// @ts-expect-error express4 is an npm alias of express@4 and has no types of its own.
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { rateLimit as expressRateLimit } from '../../src/http/express.js';
import { rateLimit as fastifyRateLimit } from '../../src/http/fastify.js';
import { rateLimit as honoRateLimit } from '../../src/http/hono.js';
import { rateLimit as nodeRateLimit } from '../../src/http/node.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const limiter = () => new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }) });

/** No private field of a limiter, request or Fastify instance may appear in the message. */
function assertClear(error: unknown, fix: RegExp): void {
  const e = error as { code?: string; message?: string };
  assert.equal(e.code, 'FG_HTTP_MISWIRED', e.message);
  assert.match(e.message ?? '', fix);
  assert.doesNotMatch(e.message ?? '', /partPolicies|deadlines|_events|socket:|kState|FG_UNKNOWN_OPTION/);
}

/** Serves `listener`, sends GET /, and resolves with the status. */
async function statusOf(listener: RequestListener | Server): Promise<number> {
  const server = typeof listener === 'function' ? createServer(listener) : listener;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

test('rateLimit(limiter) instead of rateLimit({ limiter }) says so', async () => {
  const factories = [
    [expressRateLimit, /rateLimit\(\{ limiter \}\)/],
    [nodeRateLimit, /rateLimit\(\{ limiter \}\)/],
    [honoRateLimit, /rateLimit\(\{ limiter \}\)/],
  ] as const;
  for (const [factory, fix] of factories) {
    assert.throws(
      () => factory(limiter() as never),
      (error) => {
        assertClear(error, fix);
        return true;
      },
    );
  }
  const app = Fastify();
  app.register(fastifyRateLimit, limiter() as never);
  await assert.rejects(
    async () => app.ready(),
    (error: unknown) => {
      assertClear(error, /app\.register\(rateLimit, \{ limiter \}\)/);
      return true;
    },
  );
});

test('the Fastify plugin mounted as Express, node or Hono middleware says to register it', async () => {
  for (const factory of [express5, express4 as typeof express5]) {
    const errors: unknown[] = [];
    const app = factory();
    app.use(fastifyRateLimit as never);
    app.get('/', (_req, res) => res.send('ok'));
    app.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => {
      errors.push(error);
      res.statusCode = 500;
      res.end();
    });
    assert.equal(await statusOf(app), 500);
    assertClear(errors[0], /app\.register\(rateLimit, \{ limiter \}\)/);
  }
  const errors: unknown[] = [];
  const hono = new Hono();
  hono.use(fastifyRateLimit as never);
  hono.get('/', (c) => c.text('ok'));
  hono.onError((error, c) => {
    errors.push(error);
    return c.text('error', 500);
  });
  assert.equal(await statusOf(createAdaptorServer({ fetch: hono.fetch }) as Server), 500);
  assertClear(errors[0], /flowgate\/hono/);
});

test('an Express or node middleware registered as a Fastify plugin says to use flowgate/fastify', async () => {
  for (const factory of [expressRateLimit, nodeRateLimit]) {
    const app = Fastify();
    app.register(factory({ limiter: limiter() }) as never);
    await assert.rejects(
      async () => app.ready(),
      (error: unknown) => {
        assertClear(error, /flowgate\/fastify/);
        return true;
      },
    );
    // The factory itself registered as the plugin (app.register(rateLimit, { limiter })) throws
    // synchronously inside Fastify's plugin loader, which lets it out as an uncaught exception at
    // start-up: what matters is the message.
    assert.throws(
      () => factory(Fastify() as never),
      (error) => {
        assertClear(error, /flowgate\/fastify/);
        return true;
      },
    );
  }
});

test('a factory mounted without calling it says to call it once and mount what it returns', async () => {
  const errors: unknown[] = [];
  const app = express5();
  app.use(expressRateLimit as never);
  app.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => {
    errors.push(error);
    res.statusCode = 500;
    res.end();
  });
  assert.equal(await statusOf(app), 500);
  assertClear(errors[0], /it is a factory.*app\.use\(rateLimit\(\{ limiter \}\)\)/);

  const hono = new Hono();
  hono.use(honoRateLimit as never);
  hono.onError((error, c) => {
    errors.push(error);
    return c.text('error', 500);
  });
  assert.equal(await statusOf(createAdaptorServer({ fetch: hono.fetch }) as Server), 500);
  assertClear(errors[1], /it is a factory/);
});

test('Hono middleware mounted in Express (4 or 5) fails in the request, not as an unhandled rejection', async () => {
  for (const factory of [express5, express4 as typeof express5]) {
    const errors: unknown[] = [];
    const app = factory();
    app.use(honoRateLimit({ limiter: limiter() }) as never);
    app.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => {
      errors.push(error);
      res.statusCode = 500;
      res.end();
    });
    assert.equal(await statusOf(app), 500);
    assertClear(errors[0], /wrong framework/);
  }
});
