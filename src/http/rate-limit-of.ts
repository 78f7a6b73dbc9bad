import type { IncomingMessage } from 'node:http';
import type { RateLimitInfo } from './options.js';
import { keptDecision } from './request-decision.js';

/**
 * The decision of the last flowgate `rateLimit` that decided `req`: what
 * `req.rateLimit` reads, also on a request that takes no property (frozen,
 * sealed, not extensible), where flowgate keeps it aside instead.
 * `undefined` for a request none decided.
 *
 * @example
 * app.get('/', (req, res) => res.send(`${rateLimitOf(req)?.remaining} left`));
 */
export function rateLimitOf(req: IncomingMessage): RateLimitInfo | undefined {
  return keptDecision(req);
}
