import type { Decision } from '../policies/decision.js';
import { resetSeconds } from './headers.js';

/** The problem type draft-ietf-httpapi-ratelimit-headers registers for a request over its quota. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';

/**
 * The problem type the draft registers (with status 503) for requests refused
 * because the server's capacity is temporarily reduced: here, a denial by the
 * failure policy (`onStoreError: 'deny'` while the store is down), which is
 * not the client's doing.
 */
export const TEMPORARY_REDUCED_CAPACITY_TYPE =
  'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity';

/** Media type of an RFC 9457 problem details body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 body of a 429, with the draft's `violated-policies` extension member. */
export interface QuotaExceededProblem {
  type: typeof QUOTA_EXCEEDED_TYPE;
  title: string;
  status: 429;
  detail: string;
  'violated-policies': string[];
}

/** The RFC 9457 body of a 503 from the failure policy, with the draft's `violated-policies` member. */
export interface ReducedCapacityProblem {
  type: typeof TEMPORARY_REDUCED_CAPACITY_TYPE;
  title: string;
  status: 503;
  detail: string;
  'violated-policies': string[];
}

/**
 * The status of a denial: 503 when the failure policy denied (the store is
 * down or slow: the server's fault), 429 when the client is over its quota.
 */
export function denialStatus(decision: Decision): 429 | 503 {
  return decision.degraded ? 503 : 429;
}

/**
 * The problem details of a denied request. `violated` names the policies
 * (the `RateLimit-Policy` items) that denied it; `quota` is the limit of the
 * one that did, when only one did.
 *
 * @example
 * problemDetails(decision, ['default']);
 * // { type: 'https://iana.org/assignments/http-problem-types#quota-exceeded', status: 429,
 * //   title: 'Request cannot be satisfied as assigned quota has been exceeded',
 * //   detail: 'Quota of 100 exceeded for policy "default"; retry in 17 s.', 'violated-policies': ['default'] }
 */
export function problemDetails(
  decision: Decision,
  violated: readonly string[],
  quota: number = decision.limit,
): QuotaExceededProblem | ReducedCapacityProblem {
  const which =
    violated.length === 1
      ? `policy ${JSON.stringify(violated[0])}`
      : `policies ${violated.map((name) => JSON.stringify(name)).join(', ')}`;
  if (decision.degraded) {
    return {
      type: TEMPORARY_REDUCED_CAPACITY_TYPE,
      title: 'Request cannot be satisfied due to temporary server capacity constraints',
      status: 503,
      detail: `Capacity for ${which} is temporarily reduced; retry in ${resetSeconds(decision)} s.`,
      'violated-policies': [...violated],
    };
  }
  return {
    type: QUOTA_EXCEEDED_TYPE,
    title: 'Request cannot be satisfied as assigned quota has been exceeded',
    status: 429,
    detail:
      violated.length === 1
        ? `Quota of ${quota} exceeded for ${which}; retry in ${resetSeconds(decision)} s.`
        : `Quotas exceeded for ${which}; retry in ${resetSeconds(decision)} s.`,
    'violated-policies': [...violated],
  };
}
