// Child of bench/http-adapter-instructions.ts: calls ONE adapter's middleware `count`
// times on real node request and response objects (no socket, no HTTP parsing), so
// that its instructions per call are counted without the framework's own work.
// Usage: node http-adapter-child.mjs <mode> <count>
//   express-base / express: an Express request and response as Express's router leaves
//     them (its app's prototypes, then properties added: hidden classes of their own),
//     without / with flowgate/express;
//   koa-base / koa / koa-headers: a Koa context, without flowgate / with flowgate/koa /
//     with two constant headers set on the node response (the floor of any limiter).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { rateLimit as flowgateExpress } from '../../src/http/express.js';
import { rateLimit as flowgateKoa } from '../../src/http/koa.js';
import { fixedWindow, RateLimiter } from '../../src/index.js';

const [mode = 'express', countText = '10000'] = process.argv.slice(2);
const count = Number(countText);
// A socket that reports a peer, as a connected one does (a dual-stack server's IPv4 form).
const socket = new Socket();
(socket as unknown as { _peername: object })._peername = { address: '::ffff:127.0.0.1', family: 'IPv6', port: 5555 };
const limiter = new RateLimiter({ policy: fixedWindow({ limit: 1e9, window: 60_000 }) });
const noop = (): void => {};
const app = express();
const expressLimit = flowgateExpress({ limiter });
const koa = new Koa();
const koaLimit = flowgateKoa({ limiter });
const koaNext = (): Promise<void> => Promise.resolve();

type Bag = Record<string, unknown>;
let sink = 0;
function one(): void {
  const req = new IncomingMessage(socket);
  req.rawHeaders = ['Host', '127.0.0.1:3000', 'Connection', 'keep-alive'];
  req.method = 'GET';
  req.url = '/';
  const res = new ServerResponse(req);
  if (mode.startsWith('express')) {
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    (req as unknown as Bag).res = res;
    (res as unknown as Bag).req = req;
    (req as unknown as Bag).next = noop;
    (req as unknown as Bag).baseUrl = '';
    (res as unknown as Bag).locals = Object.create(null);
    if (mode === 'express') expressLimit(req as never, res as never, noop);
  } else {
    const ctx = koa.createContext(req, res);
    if (mode === 'koa') void koaLimit(ctx, koaNext);
    if (mode === 'koa-headers') {
      ctx.res.setHeader('RateLimit-Policy', '"default";q=1000000000;w=60');
      ctx.res.setHeader('RateLimit', '"default";r=999999999;t=60');
    }
  }
  res.setHeader('Content-Type', 'application/json');
  sink += res.getHeaderNames().length;
}
for (let i = 0; i < count; i++) one();
if (sink === 0) throw new Error('no headers were set');
