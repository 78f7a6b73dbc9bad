import type { Policy } from './policy.js';
import { bucketFromOptions } from './token-bucket.js';

/** Options of {@link leakyBucket}. */
export interface LeakyBucketOptions {
  /** Most units the queue holds, the request being decided included. `1` is pure pacing with no queue. */
  capacity: number;
  /** Units drained per second: the steady rate at which requests are served. */
  leakPerSecond: number;
}

/**
 * Leaky bucket as a shaping queue: it delays instead of rejecting while the
 * queue has room. An admitted request carries `delayMs`, how long to hold it
 * before serving it; a request that would overflow the queue is denied.
 *
 * @example
 * // Serve 5 per second, queue up to 10.
 * const policy = leakyBucket({ capacity: 10, leakPerSecond: 5 });
 * const d = await limiter.limit(key);
 * if (d.allowed) setTimeout(serve, d.delayMs);
 */
export function leakyBucket(options: LeakyBucketOptions): Policy {
  return bucketFromOptions('leakyBucket', 'leaky-bucket', options, 'leakPerSecond');
}
