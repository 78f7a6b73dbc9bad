import type { Decision } from './policies/decision.js';
import type { Policy } from './policies/policy.js';

/** What a store error or timeout decides. */
export type StoreErrorPolicy = 'allow' | 'deny' | 'throw';

/** Raised when a store call outlives `timeoutMs`. */
export class StoreTimeoutError extends Error {
  readonly code = 'FG_STORE_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`the store did not answer within timeoutMs (${timeoutMs} ms) [FG_STORE_TIMEOUT]`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * The decision of the failure policy. Failing open admits without counting;
 * failing closed denies and asks the client to come back after one window.
 */
export function degradedDecision(onStoreError: 'allow' | 'deny', policy: Policy, cost: number): Decision {
  if (onStoreError === 'allow') {
    return {
      allowed: true,
      limit: policy.limit,
      remaining: policy.limit - cost,
      resetMs: 0,
      retryAfterMs: 0,
      delayMs: 0,
      degraded: true,
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
  };
}
