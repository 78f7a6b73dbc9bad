import type { IncomingMessage, ServerResponse } from 'node:http';
import { type NodeStyleMiddleware, type NodeStyleOptions, nodeStyleMiddleware } from './node-middleware.js';
import type { RateLimitInfo } from './options.js';

export type { Decision } from '../policies/decision.js';
export type { SetDecision } from '../policies/limit-set.js';
export { addressKey, normalizeIp } from './address.js';
export type { HeaderBag, ProxyHeader } from './forwarded.js';
export type { HeadersMode } from './headers.js';
export { clientAddress, clientKey } from './identity.js';
export type { AnyRateLimiter, HttpOptions, RateLimitInfo, RequestKeys } from './options.js';
export {
  QUOTA_EXCEEDED_TYPE,
  type QuotaExceededProblem,
  type ReducedCapacityProblem,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
} from './problem.js';
export type { TrustProxy } from './trust.js';
export type { Logger } from './validation.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The decision of the last flowgate `rateLimit` that decided this request. */
    rateLimit?: RateLimitInfo;
  }
}

/** Options of the node `http` middleware. */
export type NodeRateLimitOptions = NodeStyleOptions<IncomingMessage, ServerResponse>;

/**
 * Rate limiting for node's `http` server: a `(req, res, next)` middleware.
 * Admitted requests get the rate-limit headers and `next()`; denied ones a
 * 429 with `Retry-After` and an RFC 9457 problem+json body. With a leaky
 * bucket, an admitted request is held `delayMs` before `next()`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { RateLimiter, tokenBucket } from 'flowgate';
 * import { rateLimit } from 'flowgate/node';
 *
 * const limit = rateLimit({ limiter: new RateLimiter({ policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }) }) });
 * createServer((req, res) =>
 *   limit(req, res, (error) => {
 *     if (error) { res.statusCode = 500; res.end(); return; }
 *     res.end('hello');
 *   }),
 * ).listen(3000);
 */
export function rateLimit(options: NodeRateLimitOptions): NodeStyleMiddleware<IncomingMessage, ServerResponse> {
  return nodeStyleMiddleware(options, 'flowgate/node rateLimit');
}
