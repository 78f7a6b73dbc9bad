import type { Decision } from './policies/decision.js';
import type { Policy } from './policies/policy.js';

/** What a store error or timeout decides. */
export type StoreErrorPolicy = 'allow' | 'deny' | 'throw';

/**
 * Raised when a store call outlives `timeoutMs`, or (`late: true`) when the
 * Redis script ran after its caller's deadline and therefore committed nothing.
 */
export class StoreTimeoutError extends Error {
  readonly code = 'FG_STORE_TIMEOUT';
  constructor(
    /** The limiter's timeoutMs; undefined when the store found the deadline passed. */
    readonly timeoutMs: number | undefined,
    readonly late = false,
  ) {
    super(
      late
        ? 'the Redis script ran after its caller had given up (timeoutMs) and committed nothing [FG_STORE_TIMEOUT]'
        : `the store did not answer within timeoutMs (${timeoutMs} ms) [FG_STORE_TIMEOUT]`,
    );
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Raised when a store call would have started too many calls in flight
 * (`RedisStore` option `maxInFlight`): the store is not answering, and
 * queueing more would only grow the heap.
 */
export class StoreOverloadedError extends Error {
  readonly code = 'FG_STORE_OVERLOADED';
  constructor(readonly maxInFlight: number) {
    super(
      `${maxInFlight} store calls are already waiting for an answer (maxInFlight); ` +
        'deciding by onStoreError instead of queueing more [FG_STORE_OVERLOADED]',
    );
    this.name = 'StoreOverloadedError';
  }
}

/**
 * Raised for the calls a Redis connection was carrying when it closed, before
 * Redis answered them: Redis may have run them (only the reply was lost) or
 * not. Their requests are decided by the failure policy, and the store makes
 * sure the client's resending them after it reconnects (ioredis) runs nothing,
 * so no request is ever decided twice.
 */
export class StoreConnectionLostError extends Error {
  readonly code = 'FG_STORE_CONNECTION_LOST';
  constructor() {
    super(
      'the connection to Redis closed before Redis answered this call; it may have been applied, ' +
        'and it will not be sent again [FG_STORE_CONNECTION_LOST]',
    );
    this.name = 'StoreConnectionLostError';
  }
}

/**
 * Raised for one request that the store could not decide (its key holds a
 * value of another kind, written by something else), while the store itself
 * answers: the other requests of its batch are decided as usual.
 */
export class StoreRequestError extends Error {
  readonly code = 'FG_STORE_REQUEST_FAILED';
  constructor(readonly reason: string) {
    super(`the store could not decide this request: ${reason} [FG_STORE_REQUEST_FAILED]`);
    this.name = 'StoreRequestError';
  }
}

/**
 * The failure policy's decision. Failing open admits without counting;
 * failing closed denies and asks the client to come back after one window.
 */
export function degradedDecision(onStoreError: 'allow' | 'deny', policy: Policy, cost: number, atMs: number): Decision {
  if (onStoreError === 'allow') {
    return {
      allowed: true,
      limit: policy.limit,
      remaining: Math.max(0, policy.limit - cost),
      resetMs: 0,
      retryAfterMs: 0,
      delayMs: 0,
      degraded: true,
      atMs,
      spent: 0,
    };
  }
  return {
    allowed: false,
    limit: policy.limit,
    remaining: 0,
    resetMs: policy.windowMs,
    retryAfterMs: policy.windowMs,
    delayMs: 0,
    degraded: true,
    atMs,
    spent: 0,
  };
}
