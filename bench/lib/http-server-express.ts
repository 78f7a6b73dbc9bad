// Express servers of bench/lib/http-server.ts: bare, with flowgate, with express-rate-limit,
// and the floors under any middleware (a no-op layer; one that sets two constant headers).
import express from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import { rateLimit as flowgateExpress } from '../../src/http/express.js';
import type { RateLimiter } from '../../src/index.js';
import { type BenchApp, nodeApp } from './http-app.js';

export function expressServer(config: string, limit: number, windowMs: number, limiter: () => RateLimiter): BenchApp {
  const app = express();
  app.disable('x-powered-by');
  if (config === 'express+flowgate') app.use(flowgateExpress({ limiter: limiter() }));
  if (config === 'express+express-rate-limit') {
    app.use(expressRateLimit({ limit, windowMs, standardHeaders: 'draft-8', legacyHeaders: false }));
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
