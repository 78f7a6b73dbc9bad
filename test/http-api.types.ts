/**
 * Compile-time tests of the HTTP adapters' public types (checked by `npm run
 * check`): options with limit sets, tiers and countResponse, and the decision
 * typed where each framework's handler finds it.
 */
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { rateLimit as expressRateLimit, type RateLimitInfo } from '../src/http/express.js';
import { rateLimit as fastifyRateLimit } from '../src/http/fastify.js';
import { rateLimit as fetchRateLimit } from '../src/http/fetch.js';
import { rateLimit as honoRateLimit } from '../src/http/hono.js';
import { rateLimit as koaRateLimit } from '../src/http/koa.js';
import { fixedWindow, RateLimiter, tokenBucket } from '../src/index.js';

const set = new RateLimiter({
  limits: { user: tokenBucket({ capacity: 10, refillPerSecond: 1 }), org: fixedWindow({ limit: 100, window: '1m' }) },
});
const free = new RateLimiter({ policy: fixedWindow({ limit: 10, window: '1m' }) });

const app = express();
app.use(
  expressRateLimit({
    limiter: (req) => (req.headers['x-plan'] === 'paid' ? set : free),
    key: (req) => ({ user: String(req.headers['x-user']), org: String(req.headers['x-org']) }),
    countResponse: (res) => res.statusCode >= 400,
  }),
);
app.get('/', (req, res) => {
  const info: RateLimitInfo | undefined = req.rateLimit;
  res.send(String(info?.limits?.user?.remaining));
});
// @ts-expect-error countResponse reads the response, and must answer a boolean
expressRateLimit({ limiter: free, countResponse: (res) => res.statusCode });

const fastify = Fastify();
fastify.register(fastifyRateLimit, { limiter: set, countResponse: (reply) => reply.statusCode >= 400 });
fastify.get('/', { config: { rateLimit: { cost: 2 } } }, async (request) => request.rateLimit?.remaining);
fastify.get('/free', { config: { rateLimit: false } }, async () => 'ok');
// @ts-expect-error a route's cost is a number or a function
fastify.get('/bad', { config: { rateLimit: { cost: '2' } } }, async () => 'ok');

const hono = new Hono();
hono.use(honoRateLimit({ limiter: set, countResponse: (c) => c.res.status >= 400 }));
hono.get('/', (c) => c.text(String(c.get('rateLimit').violated?.length)));

const koa = new Koa();
koa.use(koaRateLimit({ limiter: set, countResponse: (ctx) => ctx.status >= 400 }));
koa.use((ctx) => {
  ctx.body = ctx.state.rateLimit?.remaining;
});

const limit = fetchRateLimit({ limiter: free, trustProxy: 1 });
export async function fetchHandler(request: Request): Promise<Response> {
  const refused: Response | undefined = await limit(request, { address: '203.0.113.7' });
  if (refused) return refused;
  const remaining: number | undefined = limit.decisionFor(request)?.remaining;
  return limit.respond(request, new Response(String(remaining), { headers: limit.headersFor(request) }));
}
// @ts-expect-error the address is a string
limit(new Request('http://localhost/'), { address: 42 });
