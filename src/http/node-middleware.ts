import type { IncomingMessage, ServerResponse } from 'node:http';
import { IssueList } from '../errors.js';
import { HttpLimiter, isPromiseLike, type RouteSettings, type Verdict } from './core.js';
import { holdRequest } from './hold.js';
import type { HttpOptions, RateLimitInfo } from './options.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { publishDecision } from './request-decision.js';
import { isFastifyInstance, notARequest } from './wiring.js';

/** Options of a `(req, res, next)` middleware (node `http`, Express, Connect). */
export interface NodeStyleOptions<Req, Res> extends HttpOptions<Req, Res> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set. Send a response to replace the default 429 problem+json body;
   * send nothing to keep it. Useful for logging and metrics too.
   */
  onLimited?: (req: Req, res: Res, decision: RateLimitInfo) => void | Promise<void>;
}

/** `(req, res, next)`: `next()` passes the request on, `next(error)` reports a failure. */
export type NodeStyleMiddleware<Req, Res> = (req: Req, res: Res, next: (error?: unknown) => void) => void;

function setHeader(res: ServerResponse, name: string, value: string): void {
  res.setHeader(name, value);
}

/** Builds the shared `(req, res, next)` middleware of `flowgate/node` and `flowgate/express`. */
export function nodeStyleMiddleware<Req extends IncomingMessage, Res extends ServerResponse>(
  options: NodeStyleOptions<Req, Res>,
  scope: string,
): NodeStyleMiddleware<Req, Res> {
  // Lowercase header names, as the Koa and Fastify adapters send them: see koa.ts.
  const core = new HttpLimiter<Req, Res>(options, scope, ['onLimited'], true);
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    const issues = new IssueList();
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (req, res, decision)');
    issues.throwIfAny();
  }

  const sendDenial = (verdict: Verdict, res: Res): void => {
    if (res.headersSent || res.writableEnded) return;
    const body = core.problemBody(verdict);
    res.statusCode = core.status(verdict);
    res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };

  // onLimited is the user's code: whatever it throws or rejects goes to next(error), never
  // out of a promise callback (an unhandled rejection ends the process).
  const deny = (verdict: Verdict, req: Req, res: Res, next: (error?: unknown) => void): void => {
    if (onLimited === undefined) {
      sendDenial(verdict, res);
      return;
    }
    let done: unknown;
    try {
      done = onLimited(req, res, verdict.decision);
    } catch (error) {
      next(error);
      return;
    }
    if (isPromiseLike(done)) done.then(() => sendDenial(verdict, res), next);
    else sendDenial(verdict, res);
  };

  const apply = (verdict: Verdict | undefined, req: Req, res: Res, next: (error?: unknown) => void): void => {
    if (verdict === undefined) {
      next();
      return;
    }
    const decision = verdict.decision;
    publishDecision(req, decision, verdict.state);
    if (!res.headersSent) core.writeHeaders(verdict, res, setHeader, req);
    if (!decision.allowed) {
      deny(verdict, req, res, next);
      return;
    }
    if (core.countsResponses) core.settleWhenSent(verdict, res, res);
    if (decision.delayMs > 0) holdRequest(res, decision.delayMs, () => next());
    else next();
  };

  return function rateLimitMiddleware(req: Req, res: Res, next: (error?: unknown) => void): void {
    limitRequest(req, res, next, undefined);
  };

  function limitRequest(req: Req, res: Res, next: (error?: unknown) => void, route: RouteSettings<Req> | undefined) {
    // Not a node request: mounted in another framework. Fastify's plugin loader takes the error as
    // its done(error); elsewhere (Hono) a synchronous throw reaches the framework's error path.
    // Read once: on Express each request has a hidden class of its own, so every property read misses V8's caches.
    const socket = req.socket;
    if (socket === undefined) {
      const error = notARequest(scope, req);
      if (isFastifyInstance(req)) next(error);
      else throw error;
      return;
    }
    let answer: Verdict | Promise<Verdict | undefined> | undefined;
    try {
      answer = core.decide(req, socket.remoteAddress, req.headers, req, route);
    } catch (error) {
      next(error);
      return;
    }
    // A synchronous decision (memory store) calls next() at once: no promise, no microtask.
    if (answer instanceof Promise) answer.then((decision) => apply(decision, req, res, next), next);
    else apply(answer, req, res, next);
  }
}
