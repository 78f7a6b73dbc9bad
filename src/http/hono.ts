import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { IssueList } from '../errors.js';
import { HttpLimiter } from './core.js';
import { holdUntil } from './hold.js';
import type { HttpOptions, RateLimitInfo } from './options.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { proxyHeaders } from './request-headers.js';
import { notARequest } from './wiring.js';

export * from './adapter-exports.js';

/** Options of the Hono middleware. */
export interface HonoRateLimitOptions extends HttpOptions<Context> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set. Return a `Response` to replace the default 429 problem+json
   * body; return nothing to keep it.
   */
  onLimited?: (c: Context, decision: RateLimitInfo) => Response | undefined | Promise<Response | undefined>;
  /**
   * The client's socket address, like Hono's `getConnInfo(c).remote.address`.
   * @default `c.env.incoming.socket.remoteAddress` (@hono/node-server)
   */
  getAddress?: (c: Context) => string | undefined;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The decision of the last flowgate `rateLimit` that decided this request: `c.get('rateLimit')`. */
    rateLimit: RateLimitInfo;
  }
}

interface NodeBindings {
  incoming?: IncomingMessage;
}

function setHeader(c: Context, name: string, value: string): void {
  c.header(name, value);
}

/**
 * Rate limiting for Hono 4, as `(c, next)` middleware. On @hono/node-server
 * the client is the socket peer (`c.env.incoming`); elsewhere pass
 * `getAddress` (e.g. from `getConnInfo`) or a `key`.
 *
 * @example
 * import { Hono } from 'hono';
 * import { serve } from '@hono/node-server';
 * import { RateLimiter, fixedWindow } from 'flowgate';
 * import { rateLimit } from 'flowgate/hono';
 *
 * const app = new Hono();
 * app.use(rateLimit({ limiter: new RateLimiter({ policy: fixedWindow({ limit: 100, window: '1m' }) }) }));
 * app.get('/', (c) => c.text(`${c.get('rateLimit').remaining} left`));
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function rateLimit(options: HonoRateLimitOptions): MiddlewareHandler {
  const scope = 'flowgate/hono rateLimit';
  const core = new HttpLimiter<Context>(options, scope, ['onLimited', 'getAddress']);
  const { onLimited, getAddress } = options;
  const issues = new IssueList();
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (c, decision)');
  }
  if (getAddress !== undefined && typeof getAddress !== 'function') {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.getAddress`, getAddress, 'a function (c) returning an address');
  }
  issues.throwIfAny();

  const limit: MiddlewareHandler = async (c, next) => {
    const incoming = (c.env as NodeBindings | undefined)?.incoming;
    const address = getAddress === undefined ? incoming?.socket?.remoteAddress : getAddress(c);
    const headers = incoming?.headers ?? proxyHeaders(c.req.raw.headers);
    const pending = core.decide(c, address, headers, c.req.raw);
    const verdict = pending === undefined ? undefined : await pending;
    if (verdict === undefined) return next();
    const decision = verdict.decision;
    c.set('rateLimit', decision);
    core.writeHeaders(verdict, c, setHeader, c.req.raw);
    if (!decision.allowed) {
      const replaced = onLimited === undefined ? undefined : await onLimited(c, decision);
      if (replaced instanceof Response) return replaced;
      return c.body(core.problemBody(verdict), core.status(verdict), { 'Content-Type': PROBLEM_CONTENT_TYPE });
    }
    // 499 (client closed request) is never seen: the client has gone.
    if (decision.delayMs > 0 && !(await holdUntil(c.req.raw.signal, decision.delayMs))) {
      core.settle(verdict, c);
      return new Response(null, { status: 499 });
    }
    try {
      await next();
    } finally {
      // c.res is the handler's response (or the error handler's) by now.
      core.settle(verdict, c);
    }
  };

  // Not async: mounted in another framework by mistake (Express passes its request), it throws at
  // once into that framework's error path instead of rejecting a promise Express 4 never handles.
  return function rateLimitMiddleware(c, next) {
    if ((c as Partial<Context>).req === undefined) throw notARequest(scope, c);
    return limit(c, next);
  };
}
