// One real server per framework, all driven through the same small interface
// so that test/http/adapter-suite.ts runs unchanged against each of them.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import express5 from 'express';
// @ts-expect-error express4 is an npm alias of express@4 and has no types of its own.
import express4 from 'express4';
import Fastify from 'fastify';
import { type Context, Hono } from 'hono';
import Koa from 'koa';
import { rateLimit as expressRateLimit } from '../../src/http/express.js';
import { rateLimit as fastifyRateLimit } from '../../src/http/fastify.js';
import { type FetchRateLimit, rateLimit as fetchRateLimit } from '../../src/http/fetch.js';
import { rateLimit as honoRateLimit } from '../../src/http/hono.js';
import { rateLimit as koaRateLimit } from '../../src/http/koa.js';
import { rateLimit as nodeRateLimit } from '../../src/http/node.js';
import type { Decision } from '../../src/index.js';
import { nestHarness } from './harness-nestjs.js';

/** Framework-neutral settings; each harness turns them into its adapter's options. */
export interface Setup {
  /** Plain options passed through (limiter, headers, trustProxy, ...). */
  options: Record<string, unknown>;
  /** key(req) = this request header. */
  keyHeader?: string;
  /** cost(req) = Number(this request header), 1 when absent. */
  costHeader?: string;
  /** skip(req) = this request header is present. */
  skipHeader?: string;
  /** 'observe' records denials; 'replace' sends `418 custom` instead of the default 429. */
  onLimited?: 'observe' | 'replace';
  /**
   * Makes the hooks misbehave on demand: when this request header is `<hook>-throw` or
   * `<hook>-reject` (hook: key, cost, skip, onLimited), that hook throws or returns a rejected
   * promise; `<hook>=<json>` makes it return that value. key is otherwise the `x-user` header.
   */
  failHeader?: string;
  /** 'twice' mounts the same middleware twice on the route; 'per-request' builds it inside a handler. */
  mount?: 'once' | 'twice' | 'per-request';
  host?: string;
  /** A second rateLimit middleware with these options, stacked after the first. */
  stacked?: Record<string, unknown>;
  /** key(req) = { user: x-user header, org: x-org header }, for limit sets. */
  keyRecord?: boolean;
  /** limiter(req) = tiers[this request header] ?? tiers.free. */
  tierHeader?: string;
  tiers?: Record<string, unknown>;
  /** countResponse: 'failures' counts responses >= 400 only; 'throw' throws; 'bad' returns a string. */
  countResponse?: 'failures' | 'throw' | 'bad';
}

export interface Running {
  port: number;
  host: string;
  /** How many times the route handler ran. */
  handled: number;
  limited: Decision[];
  /** Errors that reached the framework's error path (answered 500). */
  errors: unknown[];
  /** Server-side sockets, newest last. */
  sockets: Socket[];
  /** The decision each handled request's handler found (req.rateLimit, c.get('rateLimit'), ...). */
  decisions: unknown[];
  /** Resolves once countResponse has been asked `n` times in all. */
  settled(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface Harness {
  name: string;
  /** Whether the framework allows building the middleware inside a request handler. */
  perRequest: boolean;
  /**
   * Whether a proxy header without trustProxy is warned of. Not for fetch, which needs
   * trustProxy set (false: the address comes from info.address) and so has nothing to warn of.
   */
  warnsOfProxyHeaders?: boolean;
  start(setup: Setup): Promise<Running>;
}

export type HeaderOf = (req: unknown, name: string) => string | undefined;

/** Reads the status of what countResponse receives (a response, a reply, a context). */
export type StatusOf = (res: unknown) => number;

export function options(
  setup: Setup,
  header: HeaderOf,
  onLimited: unknown,
  running?: Running & Counting,
  statusOf?: StatusOf,
): Record<string, unknown> {
  const o: Record<string, unknown> = { ...setup.options };
  if (setup.keyHeader) o.key = (req: unknown) => header(req, setup.keyHeader as string) ?? 'none';
  if (setup.keyRecord) {
    o.key = (req: unknown) => ({ user: header(req, 'x-user') ?? 'none', org: header(req, 'x-org') ?? 'none' });
  }
  if (setup.tierHeader) {
    const tiers = setup.tiers as Record<string, unknown>;
    o.limiter = (req: unknown) => tiers[header(req, setup.tierHeader as string) ?? 'free'] ?? tiers.free;
  }
  if (setup.countResponse && running && statusOf) {
    const mode = setup.countResponse;
    o.countResponse = (res: unknown) => {
      running.count();
      if (mode === 'throw') throw new Error('countResponse threw');
      if (mode === 'bad') return 'yes';
      return statusOf(res) >= 400;
    };
  }
  if (setup.costHeader) o.cost = (req: unknown) => Number(header(req, setup.costHeader as string) ?? 1);
  if (setup.skipHeader) o.skip = async (req: unknown) => header(req, setup.skipHeader as string) !== undefined;
  if (setup.onLimited) o.onLimited = onLimited;
  if (setup.failHeader) failingHooks(o, setup.failHeader, header, onLimited as (...args: unknown[]) => unknown);
  return o;
}

/** See {@link Setup.failHeader}. */
function failingHooks(
  o: Record<string, unknown>,
  name: string,
  header: HeaderOf,
  onLimited: (...a: unknown[]) => unknown,
) {
  const misbehave = (req: unknown, hook: string): { value: unknown } | undefined => {
    const wanted = header(req, name);
    if (wanted === `${hook}-throw`) throw new Error(`${hook} threw`);
    if (wanted === `${hook}-reject`) return { value: Promise.reject(new Error(`${hook} rejected`)) };
    if (wanted?.startsWith(`${hook}=`)) return { value: JSON.parse(wanted.slice(hook.length + 1)) };
    return undefined;
  };
  o.key = (req: unknown) => (misbehave(req, 'key') ?? { value: header(req, 'x-user') ?? 'anonymous' }).value;
  o.cost = (req: unknown) => (misbehave(req, 'cost') ?? { value: 1 }).value;
  o.skip = (req: unknown) => (misbehave(req, 'skip') ?? { value: false }).value;
  o.onLimited = (req: unknown, ...rest: unknown[]) =>
    (misbehave(req, 'onLimited') ?? { value: onLimited(req, ...rest) }).value;
}

export function track(server: Server, running: Running): void {
  server.on('connection', (socket: Socket) => running.sockets.push(socket));
}

async function listen(server: Server, host: string): Promise<number> {
  if (!server.listening) {
    server.listen(0, host);
    await once(server, 'listening');
  }
  return (server.address() as AddressInfo).port;
}

/** Tracks `server`'s sockets, listens on a free port of `running.host` and closes it with `running.close`. */
async function serveOn<R extends Running>(server: Server, running: R): Promise<R> {
  track(server, running);
  running.port = await listen(server, running.host);
  running.close = closer(server);
  return running;
}

function closer(server: Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

export interface Counting {
  count(): void;
}

export function fresh(setup: Setup): Running & Counting {
  let asked = 0;
  let waiters: { n: number; resolve: () => void }[] = [];
  return {
    port: 0,
    host: setup.host ?? '127.0.0.1',
    handled: 0,
    limited: [],
    errors: [],
    sockets: [],
    decisions: [],
    close: async () => {},
    count() {
      asked++;
      // After the hook returns: the refund it may start is then under way.
      setImmediate(() => {
        for (const w of waiters.filter((x) => x.n <= asked)) w.resolve();
        waiters = waiters.filter((x) => x.n > asked);
      });
    },
    settled(n) {
      if (asked >= n) return new Promise((resolve) => setImmediate(resolve));
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

/** The status a route answers: the x-status request header, else 200. */
export function statusFor(header: string | undefined): number {
  return header === undefined ? 200 : Number(header);
}

const nodeHeader: HeaderOf = (req, name) => (req as IncomingMessage).headers[name] as string | undefined;
const nodeStatus: StatusOf = (res) => (res as ServerResponse).statusCode;

/** The options of the stacked second middleware: its own limiter, keyed like the first. */
export function stackedOptions(setup: Setup, header: HeaderOf): Record<string, unknown> {
  const o: Record<string, unknown> = { ...setup.stacked };
  if (setup.keyHeader) o.key = (req: unknown) => header(req, setup.keyHeader as string) ?? 'none';
  return o;
}

function expressHarness(name: string, factory: typeof express5): Harness {
  return {
    name,
    perRequest: true,
    async start(setup) {
      const running = fresh(setup);
      const onLimited = (_req: unknown, res: { status(n: number): { send(b: string): void } }, decision: Decision) => {
        running.limited.push(decision);
        if (setup.onLimited === 'replace') res.status(418).send('custom');
      };
      const o = () => options(setup, nodeHeader, onLimited, running, nodeStatus) as never;
      const app = factory();
      const handler = (req: IncomingMessage, res: ServerResponse & { send(body: string): void }) => {
        running.handled++;
        running.decisions.push(req.rateLimit);
        res.statusCode = statusFor(nodeHeader(req, 'x-status'));
        res.send('ok');
      };
      if (setup.mount === 'per-request') {
        app.use((req, res, next) => expressRateLimit(o())(req, res, next));
        app.get('/', handler);
      } else {
        const mw = expressRateLimit(o());
        app.use(mw);
        if (setup.stacked) app.use(expressRateLimit(stackedOptions(setup, nodeHeader) as never));
        if (setup.mount === 'twice') app.get('/', mw, handler);
        else app.get('/', handler);
      }
      // Quiet 500s: the suite provokes errors on purpose.
      app.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => {
        running.errors.push(error);
        res.statusCode = 500;
        res.end('error');
      });
      const server = createServer(app);
      return serveOn(server, running);
    },
  };
}

const fastifyHarness: Harness = {
  name: 'fastify 5',
  perRequest: false,
  async start(setup) {
    const running = fresh(setup);
    const onLimited = async (_req: unknown, reply: { code(n: number): { send(b: string): unknown } }, d: Decision) => {
      running.limited.push(d);
      if (setup.onLimited === 'replace') reply.code(418).send('custom');
    };
    const app = Fastify();
    app.setErrorHandler((error, _request, reply) => {
      running.errors.push(error);
      reply.code(500).send('error');
    });
    const header: HeaderOf = (req, n) => (req as { headers: Record<string, string> }).headers[n];
    const statusOf: StatusOf = (reply) => (reply as { statusCode: number }).statusCode;
    const o = options(setup, header, onLimited, running, statusOf);
    await app.register(fastifyRateLimit, o as never);
    if (setup.mount === 'twice') await app.register(fastifyRateLimit, o as never);
    if (setup.stacked) await app.register(fastifyRateLimit, stackedOptions(setup, header) as never);
    app.get('/', async (request, reply) => {
      running.handled++;
      running.decisions.push(request.rateLimit);
      reply.code(statusFor(header(request, 'x-status')));
      return 'ok';
    });
    await app.ready();
    track(app.server, running);
    running.port = await listen(app.server, running.host);
    running.close = async () => {
      app.server.closeAllConnections();
      await app.close();
    };
    return running;
  },
};

const honoHarness: Harness = {
  name: 'hono 4 (node-server)',
  perRequest: true,
  async start(setup) {
    const running = fresh(setup);
    const onLimited = (c: { text(b: string, s: number): Response }, decision: Decision) => {
      running.limited.push(decision);
      return setup.onLimited === 'replace' ? c.text('custom', 418) : undefined;
    };
    const header: HeaderOf = (c, n) => (c as { req: { header(n: string): string | undefined } }).req.header(n);
    const statusOf: StatusOf = (c) => (c as { res: Response }).res.status;
    const o = () => options(setup, header, onLimited, running, statusOf) as never;
    const app = new Hono();
    const handler = (c: Context) => {
      running.handled++;
      running.decisions.push(c.get('rateLimit'));
      return c.text('ok', statusFor(header(c, 'x-status')) as 200);
    };
    if (setup.mount === 'per-request') {
      app.use((c, next) => honoRateLimit(o())(c, next));
      app.get('/', handler);
    } else {
      const mw = honoRateLimit(o());
      app.use(mw);
      if (setup.stacked) app.use(honoRateLimit(stackedOptions(setup, header) as never));
      if (setup.mount === 'twice') app.get('/', mw, handler);
      else app.get('/', handler);
    }
    app.onError((error, c) => {
      running.errors.push(error);
      return c.text('error', 500);
    });
    const server = serve({ fetch: app.fetch, port: 0, hostname: running.host }) as Server;
    return serveOn(server, running);
  },
};

const nodeHarness: Harness = {
  name: 'node http',
  perRequest: true,
  async start(setup) {
    const running = fresh(setup);
    const onLimited = (_req: unknown, res: ServerResponse, decision: Decision) => {
      running.limited.push(decision);
      if (setup.onLimited === 'replace') {
        res.statusCode = 418;
        res.end('custom');
      }
    };
    const o = () => options(setup, nodeHeader, onLimited, running, nodeStatus) as never;
    const shared = setup.mount === 'per-request' ? undefined : nodeRateLimit(o());
    const stacked = setup.stacked ? nodeRateLimit(stackedOptions(setup, nodeHeader) as never) : undefined;
    const server = createServer((req, res) => {
      const mw = shared ?? nodeRateLimit(o());
      const fail = (error: unknown) => {
        running.errors.push(error);
        res.statusCode = 500;
        res.end(String(error));
      };
      const serveIt = (error?: unknown) => {
        if (error) return fail(error);
        running.handled++;
        running.decisions.push(req.rateLimit);
        res.statusCode = statusFor(nodeHeader(req, 'x-status'));
        res.end('ok');
      };
      const second = setup.mount === 'twice' ? mw : stacked;
      mw(req, res, second ? (e) => (e ? fail(e) : second(req, res, serveIt)) : serveIt);
    });
    return serveOn(server, running);
  },
};

const koaHarness: Harness = {
  name: 'koa 3',
  perRequest: true,
  async start(setup) {
    const running = fresh(setup);
    const onLimited = (ctx: Koa.Context, decision: Decision) => {
      running.limited.push(decision);
      if (setup.onLimited === 'replace') {
        ctx.status = 418;
        ctx.body = 'custom';
      }
    };
    const header: HeaderOf = (ctx, n) => (ctx as Koa.Context).get(n) || undefined;
    const statusOf: StatusOf = (ctx) => (ctx as Koa.Context).status;
    const o = () => options(setup, header, onLimited, running, statusOf) as never;
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        running.errors.push(error);
        ctx.status = 500;
        ctx.body = 'error';
      }
    });
    if (setup.mount === 'per-request') {
      app.use((ctx, next) => koaRateLimit(o())(ctx, next));
    } else {
      const mw = koaRateLimit(o());
      app.use(mw);
      if (setup.stacked) app.use(koaRateLimit(stackedOptions(setup, header) as never));
      if (setup.mount === 'twice') app.use(mw);
    }
    app.use((ctx) => {
      running.handled++;
      running.decisions.push(ctx.state.rateLimit);
      ctx.status = statusFor(header(ctx, 'x-status'));
      ctx.body = 'ok';
    });
    const server = createServer(app.callback());
    return serveOn(server, running);
  },
};

/** A node request as a fetch Request, aborted when the client goes away before the response. */
function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(`http://localhost${req.url}`, { method: req.method, headers, signal: controller.signal });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** flowgate/fetch, served by a real node HTTP server that converts to Request and from Response. */
const fetchHarness: Harness = {
  name: 'fetch (node server)',
  perRequest: true,
  warnsOfProxyHeaders: false,
  async start(setup) {
    const running = fresh(setup);
    const onLimited = (_request: Request, decision: Decision) => {
      running.limited.push(decision);
      return setup.onLimited === 'replace' ? new Response('custom', { status: 418 }) : undefined;
    };
    const header: HeaderOf = (request, n) => (request as Request).headers.get(n) ?? undefined;
    const statusOf: StatusOf = (response) => (response as Response).status;
    const o = () => {
      const given = options(setup, header, onLimited, running, statusOf);
      // The address comes from info.address, as Bun and Deno give it.
      if (given.trustProxy === undefined) given.trustProxy = false;
      return given as never;
    };
    const withTrust = (given: Record<string, unknown>) =>
      ({ trustProxy: false, ...given }) as unknown as Parameters<typeof fetchRateLimit>[0];
    const shared = setup.mount === 'per-request' ? undefined : fetchRateLimit(o());
    const stacked = setup.stacked ? fetchRateLimit(withTrust(stackedOptions(setup, header))) : undefined;
    const server = createServer((req, res) => {
      const first = shared ?? fetchRateLimit(o());
      const chain: FetchRateLimit[] = [first];
      if (setup.mount === 'twice') chain.push(first);
      if (stacked) chain.push(stacked);
      const request = toRequest(req, res);
      const info = { address: req.socket.remoteAddress };
      (async () => {
        for (const limit of chain) {
          const refused = await limit(request, info);
          if (refused) return send(res, refused);
        }
        running.handled++;
        running.decisions.push(first.decisionFor(request));
        let response = new Response('ok', { status: statusFor(header(request, 'x-status')) });
        for (const limit of chain) response = limit.respond(request, response);
        return send(res, response);
      })().catch((error: unknown) => {
        running.errors.push(error);
        res.statusCode = 500;
        res.end('error');
      });
    });
    return serveOn(server, running);
  },
};

export const harnesses: readonly Harness[] = [
  expressHarness('express 5', express5),
  expressHarness('express 4', express4 as unknown as typeof express5),
  fastifyHarness,
  honoHarness,
  nodeHarness,
  koaHarness,
  fetchHarness,
  nestHarness('nestjs (express platform)', 'express'),
  nestHarness('nestjs (fastify platform)', 'fastify'),
];
