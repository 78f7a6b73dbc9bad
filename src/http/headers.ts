import type { Decision } from '../policies/decision.js';
import type { Policy } from '../policies/policy.js';

/**
 * Which rate-limit headers to send on every response (429 included):
 * - `'draft-10'`: `RateLimit-Policy` and `RateLimit` as in
 *   draft-ietf-httpapi-ratelimit-headers-10 (unchanged in -11);
 * - `'legacy'`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
 *   (Unix time in seconds, as GitHub and express-rate-limit send it);
 * - `'both'`; `false` for none. `Retry-After` is sent on a 429 in every mode.
 */
export type HeadersMode = 'draft-10' | 'legacy' | 'both' | false;

export const HEADERS_MODES: readonly HeadersMode[] = ['draft-10', 'legacy', 'both', false];

/** The header names as sent. */
export interface HeaderNames {
  readonly policy: string;
  readonly rateLimit: string;
  readonly limit: string;
  readonly remaining: string;
  readonly reset: string;
  readonly retryAfter: string;
}

const NAMES: HeaderNames = {
  policy: 'RateLimit-Policy',
  rateLimit: 'RateLimit',
  limit: 'X-RateLimit-Limit',
  remaining: 'X-RateLimit-Remaining',
  reset: 'X-RateLimit-Reset',
  retryAfter: 'Retry-After',
};

// For frameworks that lowercase every name they are given (Fastify's reply.header):
// an already-lowercase literal spares a string allocation per header per request.
const LOWERCASE_NAMES: HeaderNames = {
  policy: 'ratelimit-policy',
  rateLimit: 'ratelimit',
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  retryAfter: 'retry-after',
};

/** Header values that do not depend on the request, computed once per middleware. */
export interface HeaderPlan {
  readonly draft: boolean;
  readonly legacy: boolean;
  /** The policy name as a Structured Field String, e.g. `"default"`. */
  readonly name: string;
  /** The whole `RateLimit-Policy` value, e.g. `"default";q=100;w=60`. */
  readonly policyValue: string;
  /** Names as given, or all lowercase (HTTP names are case-insensitive). */
  readonly names: HeaderNames;
}

/**
 * Plans the headers of one middleware. `w` is the policy's window in whole
 * seconds, rounded up so that a client never assumes a faster rate than the
 * real one.
 *
 * @example
 * planHeaders(fixedWindow({ limit: 100, window: '1m' }), 'draft-10', 'default').policyValue; // '"default";q=100;w=60'
 */
export function planHeaders(policy: Policy, mode: HeadersMode, policyName: string, lowerCaseNames = false): HeaderPlan {
  const name = sfString(policyName);
  const w = Math.max(1, Math.ceil(policy.windowMs / 1000));
  return {
    draft: mode === 'draft-10' || mode === 'both',
    legacy: mode === 'legacy' || mode === 'both',
    name,
    policyValue: `${name};q=${policy.limit};w=${w}`,
    names: lowerCaseNames ? LOWERCASE_NAMES : NAMES,
  };
}

/**
 * Seconds until the client should look again, rounded up: until the key is
 * back at full capacity when admitted, and until the same request would be
 * admitted when denied. On a 429 this is also the `Retry-After` value, so the
 * two fields name the same instant, as the draft asks.
 */
export function resetSeconds(decision: Decision): number {
  return Math.ceil((decision.allowed ? decision.resetMs : decision.retryAfterMs) / 1000);
}

/** The `RateLimit` value of one decision, e.g. `"default";r=42;t=17`. */
export function rateLimitValue(plan: HeaderPlan, decision: Decision): string {
  return `${plan.name};r=${decision.remaining};t=${resetSeconds(decision)}`;
}

/**
 * Sets the planned headers of `decision` through `set` (the adapter's own
 * header setter, called as `set(target, name, value)` so that no closure is
 * allocated per request). `nowMs` only feeds the legacy `X-RateLimit-Reset`.
 */
export function writeHeaders<T>(
  plan: HeaderPlan,
  decision: Decision,
  target: T,
  set: (target: T, name: string, value: string) => void,
  nowMs: number,
): void {
  const names = plan.names;
  if (plan.draft) {
    set(target, names.policy, plan.policyValue);
    set(target, names.rateLimit, rateLimitValue(plan, decision));
  }
  if (plan.legacy) {
    set(target, names.limit, String(decision.limit));
    set(target, names.remaining, String(decision.remaining));
    set(target, names.reset, String(Math.ceil(nowMs / 1000) + resetSeconds(decision)));
  }
  if (!decision.allowed) set(target, names.retryAfter, String(resetSeconds(decision)));
}

/** Serialises a Structured Field String (RFC 9651 §4.1.6): printable ASCII, `"` and `\` escaped. */
export function sfString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/** Whether `text` can be a Structured Field String: non-empty printable ASCII. */
export function isSfStringSafe(text: unknown): text is string {
  return typeof text === 'string' && /^[\x20-\x7e]+$/.test(text);
}
