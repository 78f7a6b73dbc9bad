// Koa servers of bench/lib/http-server.ts: bare, with flowgate, with its best-known peer
// (koa-ratelimit's memory driver), and with two constant headers (the floor of any limiter).
import Koa from 'koa';
// @ts-expect-error koa-ratelimit ships no types.
import koaRatelimit from 'koa-ratelimit';
import { rateLimit as flowgateKoa } from '../../src/http/koa.js';
import type { RateLimiter } from '../../src/index.js';
import { type BenchApp, nodeApp } from './http-app.js';

export function koaServer(config: string, limit: number, windowMs: number, limiter: () => RateLimiter): BenchApp {
  const app = new Koa();
  if (config === 'koa+flowgate') app.use(flowgateKoa({ limiter: limiter() }));
  // The floor under any limiter that sends two headers: a middleware that sets constant ones, deciding nothing.
  if (config === 'koa+headers-only') {
    app.use((ctx, next) => {
      ctx.res.setHeader('RateLimit-Policy', '"default";q=1000000000;w=60');
      ctx.res.setHeader('RateLimit', '"default";r=999999999;t=60');
      return next();
    });
  }
  if (config === 'koa+koa-ratelimit') {
    app.use(
      koaRatelimit({
        driver: 'memory',
        db: new Map(),
        duration: windowMs,
        max: limit,
        id: (ctx: Koa.Context) => ctx.ip,
      }),
    );
  }
  app.use((ctx) => {
    ctx.body = { hello: 'world' };
  });
  return nodeApp(app.callback());
}
