import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CanActivate,
  createParamDecorator,
  type DynamicModule,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  InternalServerErrorException,
  Module,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { HttpLimiter, type RouteSettings, type Verdict } from '../core.js';
import { holdRequest } from '../hold.js';
import type { AnyRateLimiter, HttpOptions, MaybePromise, RateLimitInfo, RequestKeys } from '../options.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';
import { routeSettings } from '../route-settings.js';

export * from '../adapter-exports.js';

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

/** Options of {@link FlowgateModule.forRoot}: those of every flowgate adapter. */
export type FlowgateModuleOptions = HttpOptions<NestRequest, NestResponse>;

/** A route's or controller's own limit: `@RateLimit({ limiter, cost, key })`. */
export interface RateLimitRouteOptions {
  /** This route's limiter instead of the module's (or a function of the request returning one). */
  limiter?: AnyRateLimiter | ((req: NestRequest) => MaybePromise<AnyRateLimiter>);
  /** Units each request of this route spends: a number, or a function of the request. */
  cost?: number | ((req: NestRequest) => MaybePromise<number>);
  /** This route's key: a fixed string (one limit shared by every client), or a function of the request. */
  key?: string | ((req: NestRequest) => MaybePromise<RequestKeys>);
}

/** The injection token of the module's options. */
export const FLOWGATE_OPTIONS = Symbol.for('flowgate.nestjs.options');
/** The injection token of the middleware core, shared by every guard instance. */
const FLOWGATE_CORE = Symbol.for('flowgate.nestjs.core');
const ROUTE = 'flowgate:rateLimit';
const SKIP = 'flowgate:skipRateLimit';
const SCOPE = 'flowgate/nestjs FlowgateModule.forRoot';

/**
 * Per-route limit or cost, on a handler or a controller (the handler's wins):
 * `@RateLimit({ cost: 5 })`, `@RateLimit({ limiter: loginLimiter })`.
 * Invalid settings throw when the class is defined.
 */
export function RateLimit(options: RateLimitRouteOptions): MethodDecorator & ClassDecorator {
  const settings = routeSettings<NestRequest>(options, '@RateLimit()');
  return SetMetadata(ROUTE, settings);
}

/** Leaves a handler or a whole controller unlimited (no count, no headers). */
export function SkipRateLimit(skip = true): MethodDecorator & ClassDecorator {
  return SetMetadata(SKIP, skip);
}

/** The decision of the request, as a handler parameter: `@RateLimitDecision() decision: RateLimitInfo`. */
export const RateLimitDecision = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RateLimitInfo | undefined =>
    context.switchToHttp().getRequest<{ rateLimit?: RateLimitInfo }>().rateLimit,
);

/**
 * The exception a denial throws, so that Nest's exception filters send it:
 * 429 (or 503 when the store is down and `onStoreError` is `'deny'`) with the
 * RFC 9457 problem body; the rate-limit headers and `Retry-After` are
 * already set on the response.
 */
export class RateLimitExceededException extends HttpException {
  constructor(
    body: object,
    status: number,
    /** The decision that denied the request. */
    readonly decision: RateLimitInfo,
  ) {
    super(body, status);
  }
}

/** A Fastify reply (has `raw`), or an Express response (is the node response). */
interface EitherResponse {
  raw?: ServerResponse;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

function setHeader(res: EitherResponse, name: string, value: string): void {
  if (res.raw !== undefined && typeof res.header === 'function') res.header(name, value);
  else (res as ServerResponse).setHeader(name, value);
}

/**
 * The guard: decides each HTTP request with the module's limiter, or the
 * route's `@RateLimit`, unless `@SkipRateLimit()`. Register it globally
 * (`{ provide: APP_GUARD, useClass: FlowgateGuard }`) or per controller
 * (`@UseGuards(FlowgateGuard)`). Errors of user hooks (`key`, `cost`,
 * `skip`, a tier function) become Nest exceptions: an `HttpException` they
 * throw as is, anything else as an `InternalServerErrorException` with the
 * error as its `cause`.
 */
export class FlowgateGuard implements CanActivate {
  constructor(
    private readonly core: HttpLimiter<NestRequest, NestResponse>,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(SKIP, targets) === true) return true;
    const route = this.reflector.getAllAndOverride<RouteSettings<NestRequest> | false | undefined>(ROUTE, targets);
    if (route === false) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<NestRequest>();
    const res = http.getResponse<EitherResponse>();
    const raw: IncomingMessage = req.raw ?? req;
    let verdict: Verdict | undefined;
    try {
      const pending = this.core.decide(req, raw.socket?.remoteAddress, raw.headers, raw, route);
      verdict = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new InternalServerErrorException((error as Error)?.message ?? String(error), { cause: error });
    }
    if (verdict === undefined) return true;
    const decision = verdict.decision;
    req.rateLimit = decision;
    this.core.writeHeaders(verdict, res, setHeader, raw);
    if (!decision.allowed) {
      // Nest's filters keep a JSON media type that is already set: the problem+json one.
      setHeader(res, 'Content-Type', PROBLEM_CONTENT_TYPE);
      const body = JSON.parse(this.core.problemBody(verdict)) as object;
      throw new RateLimitExceededException(body, this.core.status(verdict), decision);
    }
    if (this.core.countsResponses) this.core.settleWhenSent(verdict, res.raw ?? (res as ServerResponse), res);
    if (decision.delayMs > 0) await holdFor(res.raw ?? (res as ServerResponse), decision.delayMs);
    return true;
  }
}
Injectable()(FlowgateGuard);
Inject(FLOWGATE_CORE)(FlowgateGuard, undefined, 0);
Inject(Reflector)(FlowgateGuard, undefined, 1);

/** Holds the request `delayMs` (leaky bucket); a client that leaves is never served. */
function holdFor(response: ServerResponse, delayMs: number): Promise<void> {
  return new Promise<void>((resolve) => holdRequest(response, delayMs, resolve));
}

/**
 * The module: `FlowgateModule.forRoot({ limiter })` in the root module's
 * imports (it is global), and `FlowgateGuard` as a guard.
 *
 * @example
 * import { Controller, Get, Module } from '@nestjs/common';
 * import { APP_GUARD } from '@nestjs/core';
 * import { RateLimiter, fixedWindow } from 'flowgate';
 * import { FlowgateGuard, FlowgateModule, RateLimit, SkipRateLimit } from 'flowgate/nestjs';
 *
 * const login = new RateLimiter({ policy: fixedWindow({ limit: 5, window: '1m' }) });
 *
 * \@Controller()
 * class AppController {
 *   \@Get() hello() { return 'hello'; }
 *   \@RateLimit({ limiter: login }) \@Get('login') login() { return 'ok'; }
 *   \@SkipRateLimit() \@Get('health') health() { return 'ok'; }
 * }
 *
 * \@Module({
 *   imports: [FlowgateModule.forRoot({ limiter: new RateLimiter({ policy: fixedWindow({ limit: 100, window: '1m' }) }) })],
 *   controllers: [AppController],
 *   providers: [{ provide: APP_GUARD, useClass: FlowgateGuard }],
 * })
 * class AppModule {}
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot is Nest's convention.
export class FlowgateModule {
  static forRoot(options: FlowgateModuleOptions): DynamicModule {
    // Built here, once: bad options stop the start-up with flowgate's message.
    const core = new HttpLimiter<NestRequest, NestResponse>(options, SCOPE, []);
    return {
      module: FlowgateModule,
      global: true,
      providers: [
        { provide: FLOWGATE_OPTIONS, useValue: options },
        { provide: FLOWGATE_CORE, useValue: core },
        FlowgateGuard,
      ],
      exports: [FLOWGATE_OPTIONS, FLOWGATE_CORE, FlowgateGuard],
    };
  }
}
Module({})(FlowgateModule);
