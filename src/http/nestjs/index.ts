import { createParamDecorator, type DynamicModule, type ExecutionContext, Module, SetMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { AnyRateLimiter, MaybePromise, RateLimitInfo, RequestKeys } from '../options.js';
import { keptDecision } from '../request-decision.js';
import { routeSettings } from '../route-settings.js';
import { FlowgateExceptionFilter } from './exception.js';
import {
  FLOWGATE_CORE,
  FlowgateGuard,
  type FlowgateModuleOptions,
  guardSettings,
  type NestRequest,
  ROUTE,
  SKIP,
} from './guard.js';

export * from '../adapter-exports.js';
export { FlowgateExceptionFilter, RateLimitExceededException } from './exception.js';
export {
  FlowgateGuard,
  type FlowgateModuleOptions,
  type NestRequest,
  type NestResponse,
  RateLimitGuard,
} from './guard.js';

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
    rateLimitOf(context.switchToHttp().getRequest<NestRequest>()),
);

/**
 * The decision of the guards for `req` (Express's or Fastify's request): what
 * `req.rateLimit` reads, also on a request that takes no property (frozen,
 * sealed, not extensible), where flowgate keeps it aside instead. In a
 * handler, {@link RateLimitDecision} reads the same.
 */
export function rateLimitOf(req: NestRequest): RateLimitInfo | undefined {
  return keptDecision(req as object);
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
    const settings = guardSettings(options, SCOPE);
    return {
      module: FlowgateModule,
      global: true,
      providers: [
        { provide: FLOWGATE_OPTIONS, useValue: options },
        { provide: FLOWGATE_CORE, useValue: settings },
        // Sends denials as application/problem+json exactly (Express's res.json would add a charset).
        { provide: APP_FILTER, useClass: FlowgateExceptionFilter },
        FlowgateGuard,
      ],
      exports: [FLOWGATE_OPTIONS, FLOWGATE_CORE, FlowgateGuard],
    };
  }
}
Module({})(FlowgateModule);
