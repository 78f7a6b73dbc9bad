import { fixedWindow } from '../policies/fixed-window.js';
import { leakyBucket } from '../policies/leaky-bucket.js';
import type { Algorithm, Policy } from '../policies/policy.js';
import { slidingLog } from '../policies/sliding-log.js';
import { slidingWindow } from '../policies/sliding-window.js';
import { tokenBucket } from '../policies/token-bucket.js';
import { type RuleLimit, UNIT_MS } from './config.js';

/** The algorithms a rule may choose, in the order `--help` and the errors list them. */
export const RULE_ALGORITHMS: readonly Algorithm[] = [
  'fixed-window',
  'sliding-window',
  'sliding-log',
  'token-bucket',
  'leaky-bucket',
];

/**
 * The policy that enforces a rule's `requests_per_unit` per `unit` with its
 * algorithm: the windows count `requests_per_unit` per window of one unit;
 * the buckets hold `burst` (default `requests_per_unit`) and refill or drain
 * at `requests_per_unit` per unit (exactly: the core counts fractional rates
 * such as 3 per minute exactly). Undefined for `unlimited` and for
 * `requests_per_unit: 0`, which need no state. Throws the core's
 * `FlowgateConfigError` for a limit the algorithm cannot hold.
 *
 * @example
 * policyOfRule({ requestsPerUnit: 3, unit: 'minute', algorithm: 'fixed-window', … }); // fixedWindow({ limit: 3, window: 60_000 })
 */
export function policyOfRule(limit: RuleLimit): Policy | undefined {
  if (limit.unlimited || limit.unit === undefined || limit.requestsPerUnit === 0) return undefined;
  const windowMs = UNIT_MS[limit.unit];
  const perSecond = (limit.requestsPerUnit * 1000) / windowMs;
  const capacity = limit.burst ?? limit.requestsPerUnit;
  switch (limit.algorithm) {
    case 'fixed-window':
      return fixedWindow({ limit: limit.requestsPerUnit, window: windowMs });
    case 'sliding-window':
      return slidingWindow({ limit: limit.requestsPerUnit, window: windowMs });
    case 'sliding-log':
      return slidingLog({ limit: limit.requestsPerUnit, window: windowMs });
    case 'token-bucket':
      return tokenBucket({ capacity, refillPerSecond: perSecond });
    case 'leaky-bucket':
      return leakyBucket({ capacity, leakPerSecond: perSecond });
  }
}
