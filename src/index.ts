export type { DenialCacheOptions } from './denial-cache.js';
export { type StoreErrorPolicy, StoreTimeoutError } from './failure.js';
export { type LimitOptions, RateLimiter, type RateLimiterOptions } from './limiter.js';
export type { Decision } from './policies/decision.js';
export type { Duration, DurationUnit } from './policies/duration.js';
export {
  type ConfigIssue,
  type ErrorCode,
  FlowgateArgumentError,
  FlowgateConfigError,
  FlowgateRangeError,
} from './policies/errors.js';
export { type FixedWindowOptions, fixedWindow } from './policies/fixed-window.js';
export { type LeakyBucketOptions, leakyBucket } from './policies/leaky-bucket.js';
export type { Algorithm, Policy, StateVector } from './policies/policy.js';
export { type SlidingLogOptions, slidingLog } from './policies/sliding-log.js';
export { type SlidingWindowOptions, slidingWindow } from './policies/sliding-window.js';
export { type TokenBucketOptions, tokenBucket } from './policies/token-bucket.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type { BoundStore, Store, StoreBinding } from './stores/store.js';
