import { IssueList } from '../errors.js';
import type { RouteSettings } from './core.js';
import type { AnyRateLimiter } from './options.js';
import { isLimiter } from './wiring.js';

const ROUTE_KEYS = ['limiter', 'key', 'cost'];

/**
 * The settings of one route (Fastify's `config.rateLimit`, NestJS's
 * `@RateLimit`); throws when they are invalid. Checked when the route is
 * declared, so a mistake stops the start-up.
 */
export function routeSettings<Req>(value: unknown, where: string): RouteSettings<Req> | false {
  if (value === false) return false;
  if (isLimiter(value)) return { limiter: value as AnyRateLimiter };
  const issues = new IssueList();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.add(
      'FG_HTTP_OPTION_INVALID',
      where,
      value,
      'false, a RateLimiter, or an object with limiter, key and/or cost',
    );
    issues.throwIfAny();
  }
  const { limiter, key, cost } = value as Record<string, unknown>;
  issues.unknownKeys(where, value as Record<string, unknown>, ROUTE_KEYS);
  if (limiter !== undefined && !isLimiter(limiter) && typeof limiter !== 'function') {
    issues.add(
      'FG_LIMITER_INVALID',
      `${where}.limiter`,
      limiter,
      'a RateLimiter, or a function of the request returning one',
    );
  }
  if (key !== undefined && typeof key !== 'function' && !(typeof key === 'string' && key.length > 0)) {
    issues.add('FG_HTTP_OPTION_INVALID', `${where}.key`, key, 'a non-empty string, or a function of the request');
  }
  if (
    cost !== undefined &&
    typeof cost !== 'function' &&
    !(typeof cost === 'number' && Number.isInteger(cost) && cost >= 1)
  ) {
    issues.add(
      'FG_HTTP_OPTION_INVALID',
      `${where}.cost`,
      cost,
      'a positive whole number, or a function of the request',
    );
  }
  issues.throwIfAny();
  return {
    limiter: limiter as RouteSettings<Req>['limiter'],
    key: typeof key === 'string' ? () => key : (key as RouteSettings<Req>['key']),
    cost: typeof cost === 'number' ? () => cost : (cost as RouteSettings<Req>['cost']),
  };
}
