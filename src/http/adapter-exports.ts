// What every HTTP adapter module exports besides its own middleware: the types
// of its options and decisions, and the problem types of its responses.
export type { Decision } from '../policies/decision.js';
export type { SetDecision } from '../policies/limit-set.js';
export type { ProxyHeader } from './forwarded.js';
export type { HeadersMode } from './headers.js';
export type { AnyRateLimiter, HttpOptions, RateLimitInfo, RequestKeys } from './options.js';
export {
  QUOTA_EXCEEDED_TYPE,
  type QuotaExceededProblem,
  type ReducedCapacityProblem,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
} from './problem.js';
export type { TrustProxy } from './trust.js';
export type { Logger } from './validation.js';
