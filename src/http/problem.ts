import type { Decision } from '../policies/decision.js';
import { resetSeconds } from './headers.js';

/** The problem type draft-ietf-httpapi-ratelimit-headers registers for a request over its quota. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';

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

/**
 * The problem details of a denied request.
 *
 * @example
 * problemDetails(decision, 'default');
 * // { type: 'https://iana.org/assignments/http-problem-types#quota-exceeded', status: 429,
 * //   title: 'Request cannot be satisfied as assigned quota has been exceeded',
 * //   detail: 'Quota of 100 exceeded for policy "default"; retry in 17 s.', 'violated-policies': ['default'] }
 */
export function problemDetails(decision: Decision, policyName: string): QuotaExceededProblem {
  return {
    type: QUOTA_EXCEEDED_TYPE,
    title: 'Request cannot be satisfied as assigned quota has been exceeded',
    status: 429,
    detail: `Quota of ${decision.limit} exceeded for policy ${JSON.stringify(policyName)}; retry in ${resetSeconds(decision)} s.`,
    'violated-policies': [policyName],
  };
}
