export type { DenialCacheOptions } from './denial-cache.js';
export {
  type ConfigIssue,
  type ErrorCode,
  FlowgateArgumentError,
  FlowgateConfigError,
  FlowgateRangeError,
} from './errors.js';
export {
  StoreConnectionLostError,
  type StoreErrorPolicy,
  StoreOverloadedError,
  StoreRequestError,
  StoreTimeoutError,
} from './failure.js';
export {
  type LimiterDecision,
  type LimiterKeys,
  type LimitOptions,
  RateLimiter,
  type RefundOptions,
} from './limiter.js';
export type { LimitConfig, LimitMode, Logger, RateLimiterOptions } from './limiter-options.js';
export {
  CHANNELS,
  type DecisionEvent,
  type HealthEvent,
  type Outcome,
  type StoreErrorEvent,
  type StoreErrorKind,
} from './observe/events.js';
export type { Decision } from './policies/decision.js';
export type { Duration, DurationUnit } from './policies/duration.js';
export { type FixedWindowOptions, fixedWindow } from './policies/fixed-window.js';
export { type LeakyBucketOptions, leakyBucket } from './policies/leaky-bucket.js';
export { combineDecisions, type LimitSpec, type SetDecision } from './policies/limit-set.js';
export { LogState } from './policies/log-state.js';
export type { Admission, Algorithm, Policy, StateVector } from './policies/policy.js';
export { type SlidingLogOptions, slidingLog } from './policies/sliding-log.js';
export { type SlidingWindowOptions, slidingWindow } from './policies/sliding-window.js';
export { type TokenBucketOptions, tokenBucket } from './policies/token-bucket.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type { BoundStore, Store, StoreBinding } from './stores/store.js';
