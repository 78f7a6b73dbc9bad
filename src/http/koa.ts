import type { ServerResponse } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import { IssueList } from '../errors.js';
import { HttpLimiter, type Verdict } from './core.js';
import { holdRequest } from './hold.js';
import type { HttpOptions, RateLimitInfo } from './options.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { assignDecision, keptDecision } from './request-decision.js';
import { notARequest } from './wiring.js';

export * from './adapter-exports.js';

/** Options of the Koa middleware. `countResponse` receives the context (`ctx.status`). */
export interface KoaRateLimitOptions extends HttpOptions<Context, Context> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set. Set `ctx.body` (and `ctx.status`) to replace the default 429
   * problem+json body; set nothing to keep it.
   */
  onLimited?: (ctx: Context, decision: RateLimitInfo) => void | Promise<void>;
}

declare module 'koa' {
  interface DefaultState {
    /** The decision of the last flowgate `rateLimit` that decided this request. */
    rateLimit?: RateLimitInfo;
  }
}

// On the node response: what ctx.set does, less its checks (the headers are not sent yet: this runs before next()).
function setHeader(res: ServerResponse, name: string, value: string): void {
  res.setHeader(name, value);
}

/** Holds the request `delayMs`; false if the client went away first (then nothing is served). */
function hold(ctx: Context, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const gone = (): void => resolve(false);
    ctx.res.once('close', gone);
    holdRequest(ctx.res, delayMs, () => {
      ctx.res.removeListener('close', gone);
      resolve(true);
    });
  });
}

/**
 * Rate limiting for Koa 2 and 3, as `(ctx, next)` middleware. The client is
 * the socket peer (`ctx.req.socket.remoteAddress`) unless flowgate's own
 * `trustProxy` says otherwise (Koa's `app.proxy` and `ctx.ip` are not
 * consulted, so one option governs who may name the client). The handler
 * finds the decision on `ctx.state.rateLimit`.
 *
 * @example
 * import Koa from 'koa';
 * import { RateLimiter, fixedWindow } from 'flowgate';
 * import { rateLimit } from 'flowgate/koa';
 *
 * const app = new Koa();
 * app.use(rateLimit({ limiter: new RateLimiter({ policy: fixedWindow({ limit: 100, window: '1m' }) }) }));
 * app.use((ctx) => {
 *   ctx.body = `${ctx.state.rateLimit?.remaining} left`;
 * });
 * app.listen(3000);
 */
export function rateLimit(options: KoaRateLimitOptions): Middleware {
  const scope = 'flowgate/koa rateLimit';
  // Lowercase header names (HTTP names are case-insensitive; HTTP/2 sends them so): node's setHeader
  // lowercases each name to key its table, and a mixed-case name costs a new string and its
  // look-up in V8's string table, ~0.5k instructions per header per request.
  const core = new HttpLimiter<Context, Context>(options, scope, ['onLimited'], true);
  const { onLimited } = options;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    const issues = new IssueList();
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (ctx, decision)');
    issues.throwIfAny();
  }

  const deny = async (ctx: Context, verdict: Verdict): Promise<void> => {
    if (onLimited !== undefined) {
      await onLimited(ctx, verdict.decision);
      if (ctx.body !== undefined && ctx.body !== null) return;
    }
    ctx.status = core.status(verdict);
    // Set as a header, not ctx.type, which would add a charset parameter.
    ctx.set('Content-Type', PROBLEM_CONTENT_TYPE);
    ctx.body = core.problemBody(verdict);
  };

  /**
   * The rest of the middleware once the request is decided. Not async, like
   * the middleware itself: an admitted request returns `next()`'s own promise,
   * without a promise of its own and the microtasks an `await` adds.
   */
  const proceed = (ctx: Context, next: Next, verdict: Verdict | undefined): Promise<void> => {
    if (verdict === undefined) return next();
    const decision = verdict.decision;
    assignDecision(ctx.state, decision, ctx);
    core.writeHeaders(verdict, ctx.res, setHeader, ctx.req);
    if (!decision.allowed) return deny(ctx, verdict);
    if (core.countsResponses) core.settleWhenSent(verdict, ctx.res, ctx);
    if (decision.delayMs > 0) return hold(ctx, decision.delayMs).then((served) => (served ? next() : undefined));
    return next();
  };

  // What this throws synchronously, koa-compose turns into a rejection: Koa's error path.
  return function rateLimitMiddleware(ctx: Context, next: Next): Promise<void> {
    // Mounted in another framework by mistake (Express passes its request): say so.
    if (ctx?.req?.socket === undefined) throw notARequest(scope, ctx);
    const pending = core.decide(ctx, ctx.req.socket.remoteAddress, ctx.req.headers, ctx.req);
    if (pending instanceof Promise) return pending.then((verdict) => proceed(ctx, next, verdict));
    return proceed(ctx, next, pending);
  };
}

/**
 * The decision of the last flowgate `rateLimit` that decided this request:
 * `ctx.state.rateLimit`, or, when `ctx.state` took no property (frozen,
 * sealed, not extensible, or not an object), where flowgate kept it instead.
 * `undefined` for a request none decided.
 *
 * @example
 * app.use((ctx) => {
 *   ctx.body = `${rateLimitOf(ctx)?.remaining} left`;
 * });
 */
export function rateLimitOf(ctx: Context): RateLimitInfo | undefined {
  return keptDecision(ctx, ctx.state);
}
