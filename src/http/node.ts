import type { IncomingMessage, ServerResponse } from 'node:http';
import { type NodeStyleMiddleware, type NodeStyleOptions, nodeStyleMiddleware } from './node-middleware.js';
import type { RateLimitInfo } from './options.js';

export * from './adapter-exports.js';
export { addressKey, normalizeIp } from './address.js';
export type { HeaderBag } from './forwarded.js';
export { clientAddress, clientKey } from './identity.js';
export { rateLimitOf } from './rate-limit-of.js';

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
