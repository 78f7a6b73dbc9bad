import { FlowgateArgumentError } from '../errors.js';

/**
 * Recognises the usual ways of wiring the middleware wrongly, so that the
 * error says what to write instead of listing the private fields of a
 * limiter, a request or a Fastify instance as unknown options.
 */

/** How each adapter is mounted, for the messages. */
const USAGE: Record<string, string> = {
  'flowgate/express rateLimit': "app.use(rateLimit({ limiter })) with rateLimit from 'flowgate/express'",
  'flowgate/node rateLimit':
    "const limit = rateLimit({ limiter }) with rateLimit from 'flowgate/node', then limit(req, res, next)",
  'flowgate/hono rateLimit': "app.use(rateLimit({ limiter })) with rateLimit from 'flowgate/hono'",
  'flowgate/fastify rateLimit': "await app.register(rateLimit, { limiter }) with rateLimit from 'flowgate/fastify'",
  'flowgate/nestjs FlowgateModule.forRoot':
    "FlowgateModule.forRoot({ limiter }) with FlowgateModule from 'flowgate/nestjs', and FlowgateGuard as a guard",
  'flowgate/koa rateLimit': "app.use(rateLimit({ limiter })) with rateLimit from 'flowgate/koa'",
  'flowgate/fetch rateLimit':
    "const limit = rateLimit({ limiter, trustProxy }) with rateLimit from 'flowgate/fetch', then await limit(request, { address })",
};

function usage(scope: string): string {
  return USAGE[scope] ?? 'rateLimit({ limiter })';
}

function has(value: unknown, name: string, type: 'function' | 'object' | 'string' | 'number'): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === type;
}

/** Whether `value` is (duck-typed) a Fastify instance: what a plugin receives first. */
export function isFastifyInstance(value: unknown): boolean {
  return has(value, 'addHook', 'function') && has(value, 'register', 'function');
}

/** Whether `value` is (duck-typed) a `RateLimiter`. */
export function isLimiter(value: unknown): boolean {
  return has(value, 'limit', 'function') && has((value as { policy?: unknown }).policy, 'limit', 'number');
}

/** A node/Express request, or a Hono `Context`. */
function isRequest(value: unknown): boolean {
  return (has(value, 'method', 'string') && has(value, 'headers', 'object')) || has(value, 'header', 'function');
}

function miswired(message: string): FlowgateArgumentError {
  return new FlowgateArgumentError('FG_HTTP_MISWIRED', message);
}

/**
 * The mistake, if `options` (what a `rateLimit` factory received) is
 * recognisably not an options object: a `RateLimiter` itself, a request
 * (the factory mounted uncalled), or a Fastify instance (the factory
 * registered as a Fastify plugin).
 */
export function optionsMistake(scope: string, options: unknown): FlowgateArgumentError | undefined {
  if (isLimiter(options)) {
    return miswired(
      `${scope} received a RateLimiter where its options belong. Pass the limiter as an option: ${usage(scope)}.`,
    );
  }
  if (isFastifyInstance(options)) {
    return miswired(
      `${scope} was registered as a Fastify plugin, but it builds middleware for another framework. ` +
        `In Fastify, write ${usage('flowgate/fastify rateLimit')}.`,
    );
  }
  if (isRequest(options)) {
    return miswired(
      `${scope} was called with a request: it is a factory, not the middleware itself. Call it once at ` +
        `start-up and mount what it returns: ${usage(scope)}.`,
    );
  }
  return undefined;
}

/** The error for a `(req, res, next)` or Hono middleware called with something that is not its framework's request. */
export function notARequest(scope: string, received: unknown): FlowgateArgumentError {
  if (isFastifyInstance(received)) {
    return miswired(
      `the middleware from ${scope} was registered as a Fastify plugin. In Fastify, write ${usage('flowgate/fastify rateLimit')}.`,
    );
  }
  return miswired(
    `the middleware from ${scope} was called with something that is not its framework's request: it is mounted in ` +
      `the wrong framework. Use the flowgate module of the framework that runs it: 'flowgate/express', ` +
      `'flowgate/node', 'flowgate/hono', 'flowgate/fastify', 'flowgate/koa', 'flowgate/fetch' or 'flowgate/nestjs'.`,
  );
}

/** The error for the Fastify plugin called as middleware (`app.use(rateLimit)` in Express or Hono). */
export function notAFastifyInstance(): FlowgateArgumentError {
  return miswired(
    `flowgate/fastify rateLimit is a Fastify plugin, but it was called as middleware. In Fastify, write ` +
      `${usage('flowgate/fastify rateLimit')}; in Express, ${usage('flowgate/express rateLimit')}; ` +
      `in Hono, ${usage('flowgate/hono rateLimit')}.`,
  );
}
