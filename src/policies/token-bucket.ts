import { IssueList, isOptionsObject } from '../errors.js';
import { bucketPolicy } from './bucket.js';
import type { Policy } from './policy.js';
import { type TickRate, tickRate } from './rate.js';
import { positiveInteger, safeProduct } from './validate.js';

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the largest burst. A new key starts full. */
  capacity: number;
  /** Tokens added per second, continuously: the sustained rate. Fractions such as `100 / 60` are exact. */
  refillPerSecond: number;
}

/**
 * Token bucket: bursts up to `capacity`, sustained `refillPerSecond`. One
 * number of state per key (a GCRA theoretical arrival time).
 *
 * @example
 * // 100 at once, then 10 per second.
 * const policy = tokenBucket({ capacity: 100, refillPerSecond: 10 });
 */
export function tokenBucket(options: TokenBucketOptions): Policy {
  return bucketFromOptions('tokenBucket', 'token-bucket', options, 'refillPerSecond');
}

/** Validates bucket options shared by the token and the leaky bucket. */
export function bucketFromOptions(
  scope: string,
  algorithm: 'token-bucket' | 'leaky-bucket',
  options: object,
  rateOption: string,
): Policy {
  const issues = new IssueList();
  let capacity: number | undefined;
  let rate: TickRate | undefined;
  if (isOptionsObject(issues, scope, options)) {
    const values = options as Record<string, unknown>;
    issues.unknownKeys(scope, options, ['capacity', rateOption]);
    capacity = positiveInteger(issues, 'FG_CAPACITY_INVALID', `${scope}.capacity`, values.capacity);
    rate = tickRate(issues, `${scope}.${rateOption}`, values[rateOption]);
    if (capacity !== undefined && rate !== undefined) {
      safeProduct(
        issues,
        `${scope}.capacity`,
        capacity,
        rate.intervalTicks,
        'the capacity times the interval in ticks',
      );
    }
  }
  issues.throwIfAny();
  return bucketPolicy(algorithm, capacity as number, rate as TickRate);
}
