import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IssueList } from '../errors.js';
import { HttpLimiter, isPromiseLike, type RouteSettings, type Verdict } from './core.js';
import { FastifyRouteConfig } from './fastify-route-config.js';
import { holdRequest } from './hold.js';
import type { AnyRateLimiter, HttpOptions, MaybePromise, RateLimitInfo, RequestKeys } from './options.js';
import { peerAddress } from './peer-address.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { assignDecision, keptDecision } from './request-decision.js';
import { routeSettings } from './route-settings.js';
import { isFastifyInstance, notAFastifyInstance, optionsMistake } from './wiring.js';

export * from './adapter-exports.js';

/** Options of the Fastify plugin. */
export interface FastifyRateLimitOptions extends HttpOptions<FastifyRequest, FastifyReply> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set. Send a reply to replace the default 429 problem+json body; send
   * nothing to keep it.
   */
  onLimited?: (request: FastifyRequest, reply: FastifyReply, decision: RateLimitInfo) => void | Promise<void>;
}

/**
 * A route's own limit, in its `config.rateLimit`: `false` to leave the route
 * unlimited, a `RateLimiter` to use instead of the plugin's, or any of
 * `limiter`, `key` and `cost` to replace the plugin's for this route (a fixed
 * key string makes one limit shared by every client of the route).
 */
export type FastifyRouteRateLimit =
  | false
  | RouteLimiter
  | {
      limiter?: RouteLimiter | ((request: FastifyRequest) => MaybePromise<RouteLimiter>);
      key?: string | ((request: FastifyRequest) => MaybePromise<RequestKeys>);
      cost?: number | ((request: FastifyRequest) => MaybePromise<number>);
    };

/**
 * A `RateLimiter`, typed by its shape: Fastify's route config is declared once for every
 * copy of these types (ESM and CJS), and a class with private fields would differ between them.
 */
export type RouteLimiter = Pick<AnyRateLimiter, 'limits' | 'policy'> & { limit(...args: never[]): Promise<unknown> };

declare module 'fastify' {
  interface FastifyRequest {
    /** The decision of flowgate's `rateLimit` for this request. */
    rateLimit?: RateLimitInfo;
  }
  interface FastifyContextConfig {
    /** This route's own limit (see {@link FastifyRouteRateLimit}). */
    rateLimit?: FastifyRouteRateLimit;
  }
}

// Options Fastify itself understands on register(); not ours to reject.
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

function setHeader(reply: FastifyReply, name: string, value: string): void {
  reply.header(name, value);
}

/**
 * The plugin. Not `async`, so that when it is mounted as middleware by
 * mistake (Express `app.use(rateLimit)`) it throws at once, into the
 * framework's error path, instead of rejecting a promise nobody handles.
 */
function flowgateRateLimit(fastify: FastifyInstance, registered: FastifyRateLimitOptions): Promise<void> {
  if (!isFastifyInstance(fastify)) throw notAFastifyInstance();
  return register(fastify, registered);
}

async function register(fastify: FastifyInstance, registered: FastifyRateLimitOptions): Promise<void> {
  const scope = 'flowgate/fastify rateLimit';
  // Before the copy below, which would strip a RateLimiter passed as the options of its methods.
  const mistake = optionsMistake(scope, registered);
  if (mistake) throw mistake;
  const options = { ...registered } as FastifyRateLimitOptions & Record<string, unknown>;
  for (const name of REGISTER_OPTIONS) delete options[name];
  // Lowercase header names: Fastify lowercases every name it is given, so this spares it an allocation per header.
  const core = new HttpLimiter<FastifyRequest, FastifyReply>(options, scope, ['onLimited'], true);
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    const issues = new IssueList();
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (request, reply, decision)');
    issues.throwIfAny();
  }

  const sendDenial = (verdict: Verdict, reply: FastifyReply): void => {
    if (reply.sent) return;
    // A Buffer, so Fastify sends the media type as given, without a charset parameter.
    reply
      .code(core.status(verdict))
      .type(PROBLEM_CONTENT_TYPE)
      .send(Buffer.from(core.problemBody(verdict)));
  };

  // onLimited is the user's code: whatever it throws or rejects goes to done(error), never
  // out of a promise callback (an unhandled rejection ends the process).
  const deny = (verdict: Verdict, request: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void): void => {
    if (onLimited === undefined) {
      sendDenial(verdict, reply);
      return;
    }
    let result: unknown;
    try {
      result = onLimited(request, reply, verdict.decision);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (isPromiseLike(result)) result.then(() => sendDenial(verdict, reply), done);
    else sendDenial(verdict, reply);
  };

  const apply = (
    verdict: Verdict | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    done: (e?: Error) => void,
  ): void => {
    if (verdict === undefined) {
      done();
      return;
    }
    const decision = verdict.decision;
    assignDecision(request, decision, request);
    core.writeHeaders(verdict, reply, setHeader, request.raw);
    if (!decision.allowed) {
      deny(verdict, request, reply, done);
      return;
    }
    if (core.countsResponses) core.settleWhenSent(verdict, reply.raw, reply);
    if (decision.delayMs > 0) holdRequest(reply.raw, decision.delayMs, () => done());
    else done();
  };

  // Each route's config.rateLimit, checked once when the route is added (an error stops the start-up).
  const routes = new WeakMap<object, RouteSettings<FastifyRequest> | false>();
  fastify.addHook('onRoute', (route) => {
    const config = route.config as { rateLimit?: unknown } | undefined;
    if (config?.rateLimit === undefined) return;
    const settings = routeSettings(config.rateLimit, `${route.method} ${route.url} config.rateLimit`);
    if (typeof config.rateLimit === 'object' && config.rateLimit !== null) routes.set(config.rateLimit, settings);
  });

  const routeConfig = new FastifyRouteConfig();

  // A callback hook, not an async one: a denial replies without calling done(),
  // and a synchronous decision (memory store) passes the request on at once,
  // with no promise and no microtask.
  fastify.addHook('onRequest', function flowgateOnRequest(request, reply, done) {
    const own = (routeConfig.of(request) as { rateLimit?: unknown } | undefined)?.rateLimit;
    let route: RouteSettings<FastifyRequest> | undefined;
    if (own !== undefined) {
      if (own === false) {
        done();
        return;
      }
      const found = routes.get(own as object);
      if (found === false) {
        done();
        return;
      }
      route = found;
    }
    let answer: Verdict | Promise<Verdict | undefined> | undefined;
    try {
      answer = core.decide(request, peerAddress(request.raw.socket), request.headers, request.raw, route);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (answer instanceof Promise) answer.then((decision) => apply(decision, request, reply, done), done);
    else apply(answer, request, reply, done);
  });
}

/**
 * Rate limiting for Fastify 5, as a plugin that applies to the instance it is
 * registered on and everything registered after it (it skips Fastify's
 * encapsulation, as `fastify-plugin` would, without depending on it). The
 * check runs in an `onRequest` hook, before the body is parsed. A route
 * chooses its own limit through `config.rateLimit` (see
 * {@link FastifyRouteRateLimit}); the handler finds the decision on
 * `request.rateLimit`.
 *
 * @example
 * import Fastify from 'fastify';
 * import { RateLimiter, tokenBucket } from 'flowgate';
 * import { rateLimit } from 'flowgate/fastify';
 *
 * const app = Fastify();
 * await app.register(rateLimit, {
 *   limiter: new RateLimiter({ policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }) }),
 * });
 * app.get('/', async () => 'hello');
 * await app.listen({ port: 3000 });
 */
export const rateLimit = Object.assign(flowgateRateLimit, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'flowgate',
  [Symbol.for('plugin-meta')]: { name: 'flowgate', fastify: '>=5' },
});

export default rateLimit;

/**
 * The decision of flowgate's `rateLimit` for `request`: `request.rateLimit`,
 * or, on a request that takes no property (frozen, sealed, not extensible),
 * where flowgate kept it instead. `undefined` for a request it did not decide.
 *
 * @example
 * app.get('/', async (request) => `${rateLimitOf(request)?.remaining} left`);
 */
export function rateLimitOf(request: FastifyRequest): RateLimitInfo | undefined {
  return keptDecision(request);
}
