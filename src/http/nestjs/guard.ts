import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  InternalServerErrorException,
  mixin,
  type Type,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IssueList } from '../../errors.js';
import { HttpLimiter, isPromiseLike, type RouteSettings, type Verdict } from '../core.js';
import { holdRequest } from '../hold.js';
import type { HttpOptions, RateLimitInfo } from '../options.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';
import { assignDecision } from '../request-decision.js';
import { type EitherResponse, isSent, RateLimitExceededException } from './exception.js';

/**
 * The request a guard sees: Express's `Request` or Fastify's
 * `FastifyRequest`, as Nest types it (`getRequest<T = any>()`), so that
 * `key: (req) => req.user.id` needs no cast.
 */
// biome-ignore lint/suspicious/noExplicitAny: Nest's own request type is any, whatever the platform.
export type NestRequest = any;
/** The response: Express's `Response` or Fastify's `FastifyReply`; `countResponse` reads `statusCode` on both. */
// biome-ignore lint/suspicious/noExplicitAny: as NestRequest.
export type NestResponse = any;

/** Options of {@link FlowgateModule.forRoot} and {@link RateLimitGuard}: those of every flowgate adapter, and `onLimited`. */
export interface FlowgateModuleOptions extends HttpOptions<NestRequest, NestResponse> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set, with the platform's request and response (Express's, or
   * Fastify's reply). Send a response (`res.status(429).send(...)`) to
   * replace the default problem+json body; send nothing to keep it. What it
   * throws or rejects becomes a Nest exception, as for the other hooks.
   */
  onLimited?: (req: NestRequest, res: NestResponse, decision: RateLimitInfo) => void | Promise<void>;
}

/** The injection token of what every `FlowgateGuard` of the module shares. */
export const FLOWGATE_CORE = Symbol.for('flowgate.nestjs.core');
export const ROUTE = 'flowgate:rateLimit';
export const SKIP = 'flowgate:skipRateLimit';

/** What a guard is built from: the middleware core and the `onLimited` hook, checked once. */
export interface GuardSettings {
  readonly core: HttpLimiter<NestRequest, NestResponse>;
  readonly onLimited: FlowgateModuleOptions['onLimited'];
}

/** Checks `options` (throws on a mistake) and builds the core every guard of them shares. */
export function guardSettings(options: FlowgateModuleOptions, scope: string): GuardSettings {
  const core = new HttpLimiter<NestRequest, NestResponse>(options, scope, ['onLimited']);
  const onLimited = options.onLimited;
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    const issues = new IssueList();
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (req, res, decision)');
    issues.throwIfAny();
  }
  return { core, onLimited };
}

/** A route's decorators, as the guard reads them. */
interface RouteInfo {
  readonly skip: boolean;
  readonly route: RouteSettings<NestRequest> | undefined;
}

const SKIPPED: RouteInfo = { skip: true, route: undefined };

function setHeader(res: EitherResponse, name: string, value: string): void {
  if (res.raw !== undefined && typeof res.header === 'function') res.header(name, value);
  else (res as ServerResponse).setHeader(name, value);
}

/** An error of a user hook as a Nest exception: an `HttpException` as is, anything else a 500 with it as `cause`. */
function nestError(error: unknown): HttpException {
  if (error instanceof HttpException) return error;
  return new InternalServerErrorException((error as Error)?.message ?? String(error), { cause: error });
}

/**
 * The guard's work, shared by {@link FlowgateGuard} (the module's limiter,
 * with `@RateLimit` per route) and the guards of {@link RateLimitGuard}.
 * It answers synchronously when it can (memory store, synchronous hooks):
 * Nest then goes on without awaiting a promise.
 */
export class LimitGuard implements CanActivate {
  /** Decorators read once per controller and handler: metadata does not change once the app runs. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteInfo>>();

  constructor(
    private readonly settings: GuardSettings,
    private readonly reflector: Reflector,
    /** Whether `@RateLimit` applies (the module's guard), or only `@SkipRateLimit` (a stacked guard). */
    private readonly routed: boolean,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const info = this.routeInfo(context.getHandler(), context.getClass());
    if (info.skip) return true;
    // getArgByIndex rather than switchToHttp(), which allocates three closures per call.
    const req = context.getArgByIndex<NestRequest>(0);
    const res = context.getArgByIndex<EitherResponse>(1);
    const raw: IncomingMessage = req.raw ?? req;
    let pending: Verdict | Promise<Verdict | undefined> | undefined;
    try {
      pending = this.settings.core.decide(req, raw.socket?.remoteAddress, raw.headers, raw, info.route);
    } catch (error) {
      throw nestError(error);
    }
    if (pending === undefined) return true;
    if (pending instanceof Promise) {
      return pending.then(
        (verdict) => (verdict === undefined ? true : this.apply(verdict, req, res, raw)),
        (error: unknown) => {
          throw nestError(error);
        },
      );
    }
    return this.apply(pending, req, res, raw);
  }

  private apply(
    verdict: Verdict,
    req: NestRequest,
    res: EitherResponse,
    raw: IncomingMessage,
  ): boolean | Promise<boolean> {
    const { core } = this.settings;
    const decision = verdict.decision;
    assignDecision(req, decision, req);
    core.writeHeaders(verdict, res, setHeader, raw);
    if (!decision.allowed) return this.deny(verdict, req, res);
    const response = res.raw ?? (res as ServerResponse);
    if (core.countsResponses) core.settleWhenSent(verdict, response, res);
    if (decision.delayMs > 0) return holdFor(response, decision.delayMs);
    return true;
  }

  /** Calls `onLimited`, then throws the denial for the exception filter (which only ends a response it sent). */
  private deny(verdict: Verdict, req: NestRequest, res: EitherResponse): Promise<boolean> {
    const onLimited = this.settings.onLimited;
    let done: unknown;
    try {
      done = onLimited?.(req, res, verdict.decision);
    } catch (error) {
      throw nestError(error);
    }
    if (isPromiseLike(done)) {
      return Promise.resolve(done).then(
        () => {
          throw this.denial(verdict, res);
        },
        (error: unknown) => {
          throw nestError(error);
        },
      );
    }
    throw this.denial(verdict, res);
  }

  private denial(verdict: Verdict, res: EitherResponse): RateLimitExceededException {
    const { core } = this.settings;
    // For a filter of the application's own that answers with Nest's default: it keeps a JSON media type already set.
    if (!isSent(res)) setHeader(res, 'Content-Type', PROBLEM_CONTENT_TYPE);
    const body = JSON.parse(core.problemBody(verdict)) as object;
    return new RateLimitExceededException(body, core.status(verdict), verdict.decision);
  }

  private routeInfo(handler: object, controller: object): RouteInfo {
    let byHandler = this.routes.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.routes.set(controller, byHandler);
    }
    let info = byHandler.get(handler);
    if (info === undefined) {
      const targets = [handler, controller] as (() => void)[];
      const route = this.routed
        ? this.reflector.getAllAndOverride<RouteSettings<NestRequest> | false | undefined>(ROUTE, targets)
        : undefined;
      const skipped = this.reflector.getAllAndOverride<boolean>(SKIP, targets) === true || route === false;
      info = skipped ? SKIPPED : { skip: false, route: route || undefined };
      byHandler.set(handler, info);
    }
    return info;
  }
}

/** Holds the request `delayMs` (leaky bucket); a client that leaves is never served. */
function holdFor(response: ServerResponse, delayMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => holdRequest(response, delayMs, () => resolve(true)));
}

/**
 * The guard: decides each HTTP request with the module's limiter, or the
 * route's `@RateLimit`, unless `@SkipRateLimit()`. Register it globally
 * (`{ provide: APP_GUARD, useClass: FlowgateGuard }`) or per controller
 * (`@UseGuards(FlowgateGuard)`), not both: that counts each request twice
 * (reported as `FG_HTTP_DOUBLE_COUNT`). Errors of user hooks (`key`, `cost`,
 * `skip`, `onLimited`, a tier function) become Nest exceptions: an
 * `HttpException` they throw as is, anything else as an
 * `InternalServerErrorException` with the error as its `cause`.
 */
export class FlowgateGuard extends LimitGuard {
  constructor(settings: GuardSettings, reflector: Reflector) {
    super(settings, reflector, true);
  }
}
Injectable()(FlowgateGuard);
Inject(FLOWGATE_CORE)(FlowgateGuard, undefined, 0);
Inject(Reflector)(FlowgateGuard, undefined, 1);

/**
 * A guard of its own limiter and options, to stack beside the module's
 * `FlowgateGuard` (e.g. one limit per client address and one per user,
 * keyed differently): `{ provide: APP_GUARD, useClass: RateLimitGuard({ limiter, key }) }`
 * or `@UseGuards(RateLimitGuard({ ... }))`. Its items are appended to the
 * `RateLimit-Policy` and `RateLimit` lists of the guards before it. It
 * honours `@SkipRateLimit()`; `@RateLimit` configures the module's guard
 * only. Bad options throw here, at start-up. Create it once (at module
 * scope), not per request.
 */
export function RateLimitGuard(options: FlowgateModuleOptions): Type<CanActivate> {
  const settings = guardSettings(options, 'flowgate/nestjs RateLimitGuard');
  class StackedRateLimitGuard extends LimitGuard {
    constructor(reflector: Reflector) {
      super(settings, reflector, false);
    }
  }
  Inject(Reflector)(StackedRateLimitGuard, undefined, 0);
  return mixin(StackedRateLimitGuard);
}
