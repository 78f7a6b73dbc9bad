import type { NextFunction, Request, Response } from 'express';
import { nodeStyleMiddleware } from './node-middleware.js';
import type { HttpOptions, RateLimitInfo } from './options.js';

export * from './adapter-exports.js';
export { rateLimitOf } from './rate-limit-of.js';

/** Options of the Express middleware. */
export interface ExpressRateLimitOptions extends HttpOptions<Request, Response> {
  /**
   * Called on every denial, after the rate-limit headers and `Retry-After`
   * are set. Send a response (`res.status(429).json(...)`) to replace the
   * default problem+json body; send nothing to keep it.
   */
  onLimited?: (req: Request, res: Response, decision: RateLimitInfo) => void | Promise<void>;
}

declare global {
  // Express's own extension point for request properties (as express-rate-limit and passport use it).
  namespace Express {
    interface Request {
      /** The decision of the last flowgate `rateLimit` that decided this request. */
      rateLimit?: RateLimitInfo;
    }
  }
}

/**
 * Rate limiting for Express 4 and 5. The client is `req.socket.remoteAddress`
 * unless flowgate's own `trustProxy` says otherwise; Express's
 * `trust proxy` setting and `req.ip` are not consulted, so one option governs
 * who may name the client.
 *
 * @example
 * import express from 'express';
 * import { RateLimiter, slidingWindow } from 'flowgate';
 * import { rateLimit } from 'flowgate/express';
 *
 * const app = express();
 * const limiter = new RateLimiter({ policy: slidingWindow({ limit: 100, window: '1m' }) });
 * app.use(rateLimit({ limiter, trustProxy: 1 }));
 * app.get('/', (req, res) => res.send(`${req.rateLimit?.remaining} left`));
 * app.listen(3000);
 */
export function rateLimit(options: ExpressRateLimitOptions): (req: Request, res: Response, next: NextFunction) => void {
  return nodeStyleMiddleware<Request, Response>(options, 'flowgate/express rateLimit');
}
