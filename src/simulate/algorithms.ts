import {
  type Algorithm,
  fixedWindow,
  leakyBucket,
  type Policy,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../index.js';

/**
 * The policy of `algorithm` that stands for "`limit` per `windowMs`". Buckets
 * get capacity = limit and a rate of limit / window per second (100 per 60 s
 * is exactly 5/3 per second: the core counts fractional rates exactly).
 *
 * @example
 * policyFor('token-bucket', 100, 60_000); // tokenBucket({ capacity: 100, refillPerSecond: 100 / 60 })
 */
export function policyFor(algorithm: Algorithm, limit: number, windowMs: number): Policy {
  const perSecond = (limit * 1000) / windowMs;
  switch (algorithm) {
    case 'fixed-window':
      return fixedWindow({ limit, window: windowMs });
    case 'sliding-log':
      return slidingLog({ limit, window: windowMs });
    case 'sliding-window':
      return slidingWindow({ limit, window: windowMs });
    case 'token-bucket':
      return tokenBucket({ capacity: limit, refillPerSecond: perSecond });
    case 'leaky-bucket':
      return leakyBucket({ capacity: limit, leakPerSecond: perSecond });
  }
}

/**
 * Bytes of state one key holds, from the representation: 8 bytes per
 * float64 of state (fixed window 2: window index and count; sliding window 3:
 * index, previous, current; buckets 1: the theoretical arrival time). The
 * sliding log holds one 8-byte timestamp per admitted unit still in the window,
 * so its figure is `8 × peakEntries`, the most entries any key held during the run.
 * Key strings and the store's per-key bookkeeping are not counted.
 */
export function stateBytesPerKey(policy: Policy, peakLogEntries: number): number {
  return policy.stateSize === 0 ? 8 * peakLogEntries : 8 * policy.stateSize;
}
