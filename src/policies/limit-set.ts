import type { Decision } from './decision.js';
import type { Policy } from './policy.js';

/** One limit of a limiter: its name (in headers, metrics and `Decision.limits`), its policy and its mode. */
export interface LimitSpec {
  readonly name: string;
  readonly policy: Policy;
  /** A shadow limit is evaluated and reported but never denies. */
  readonly shadow: boolean;
}

/**
 * The decision of a limiter with several limits (`limits`): the usual fields,
 * aggregated over the enforced limits, plus each limit's own decision and the
 * names of the enforced limits that denied.
 */
export interface SetDecision<Name extends string = string> extends Decision {
  /** Each limit's own decision. On a denied request, a limit that would have admitted it reports its unchanged state. */
  readonly limits: Readonly<Record<Name, Decision>>;
  /** The enforced limits that denied, in declaration order; empty when admitted. */
  readonly violated: readonly Name[];
}

/**
 * Combines the decisions of one request's limits (in declaration order, as
 * decided all or nothing by a store) into the set's decision: admitted when
 * every enforced limit admits; `remaining` the least, `limit` that limit's,
 * `resetMs` the greatest; when denied, `retryAfterMs` the greatest wait among
 * the limits that denied (waiting never hurts, so after it every limit
 * admits) and `delayMs` 0; when admitted, `delayMs` the greatest. Shadow
 * limits are left out of the aggregates unless every limit is a shadow.
 * `spent` is what the request spent in any limit (its cost, or 0).
 */
export function combineDecisions(specs: readonly LimitSpec[], decisions: readonly Decision[]): SetDecision {
  let enforced = 0;
  for (const spec of specs) if (!spec.shadow) enforced++;
  let allowed = true;
  let shadowDenied = false;
  const violated: string[] = [];
  const limits: Record<string, Decision> = {};
  let remaining = Number.POSITIVE_INFINITY;
  let limit = 0;
  let resetMs = 0;
  let retryAfterMs = 0;
  let delayMs = 0;
  let degraded = false;
  let spent = 0;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as LimitSpec;
    const d = decisions[i] as Decision;
    limits[spec.name] = d;
    degraded ||= d.degraded;
    if (d.spent > spent) spent = d.spent;
    if (spec.shadow) {
      if (!d.allowed) shadowDenied = true;
      if (enforced > 0) continue;
    } else if (!d.allowed) {
      allowed = false;
      violated.push(spec.name);
      retryAfterMs = Math.max(retryAfterMs, d.retryAfterMs);
    }
    if (d.remaining < remaining) {
      remaining = d.remaining;
      limit = d.limit;
    }
    resetMs = Math.max(resetMs, d.resetMs);
    if (!spec.shadow) delayMs = Math.max(delayMs, d.delayMs);
  }
  const first = decisions[0] as Decision;
  const result: SetDecision & { shadowDenied?: boolean } = {
    allowed,
    limit,
    remaining,
    resetMs,
    retryAfterMs: allowed ? 0 : retryAfterMs,
    delayMs: allowed ? delayMs : 0,
    degraded,
    atMs: first.atMs,
    spent,
    limits,
    violated,
  };
  if (enforced < specs.length) result.shadowDenied = shadowDenied;
  return result;
}
