import type { LimiterDecision } from '../limiter.js';
import type { Decision } from '../policies/decision.js';
import type { RuleLimit, ServiceConfig } from './config.js';
import { UNIT_MS } from './config.js';
import { ServeRequestError } from './errors.js';
import { draftHeaders, type HeaderItem } from './headers.js';
import type { Limiters, RuleLimiter } from './limiters.js';
import { type Match, matchDescriptor } from './match.js';
import type { DescriptorStatus, RlsRequest, RlsResponse } from './rls.js';

const MAX_UINT32 = 2 ** 32 - 1;

/** What the decisions report to the metrics, per descriptor with a rule. */
export interface DecisionRecorder {
  descriptor(
    domain: string,
    metricKey: string,
    hits: number,
    outcome: 'within' | 'near' | 'over' | 'shadow_over',
  ): void;
}

/** How one descriptor is decided. */
type Plan =
  | { readonly kind: 'none' }
  | { readonly kind: 'unlimited' }
  | {
      readonly kind: 'deny-all';
      readonly match: Match | undefined;
      readonly limit: RuleLimit;
      readonly shadow: boolean;
    }
  | {
      readonly kind: 'count';
      readonly match: Match | undefined;
      readonly key: string;
      readonly limit: RuleLimit;
      readonly rule: RuleLimiter;
      readonly shadow: boolean;
      /** Units to spend; 0: only look (`peek`). */
      readonly cost: number;
    };

/**
 * Decides `ShouldRateLimit` requests against the configuration in force. The
 * descriptors of one request are one set: every counted descriptor is decided
 * in one turn of the event loop (one synchronous step on memory, one batched
 * script call on Redis), and if any enforced descriptor is over, what the
 * others spent is refunded, so a refused request counts in none of them.
 */
export class Decider {
  constructor(
    readonly config: ServiceConfig,
    readonly limiters: Limiters,
    private readonly recorder: DecisionRecorder,
    private readonly now: () => number,
  ) {}

  shouldRateLimit(request: RlsRequest): Promise<RlsResponse> {
    let plans: Plan[];
    try {
      checkRequest(request);
      plans = this.plan(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const answers: (Decision | Promise<Decision> | undefined)[] = plans.map((plan) => {
      if (plan.kind !== 'count') return undefined;
      const { limiter } = plan.rule;
      if (plan.cost === 0) return limiter.peek(plan.key);
      try {
        return limiter.decide(plan.key, { cost: plan.cost }) as LimiterDecision<never>;
      } catch (error) {
        return Promise.reject(error);
      }
    });
    // Memory answers synchronously: settle (and refund) in the same step, so no other request interleaves.
    if (answers.every((a) => !(a instanceof Promise))) {
      return Promise.resolve(this.finish(request, plans, answers as (Decision | undefined)[]));
    }
    return Promise.allSettled(answers).then((settled) => {
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      const decisions = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
      if (failed !== undefined) {
        // onStoreError 'error': nothing of this request may stay spent.
        this.refundAll(plans, decisions);
        throw failed.reason;
      }
      return this.finish(request, plans, decisions);
    });
  }

  /** Matches every descriptor, applies `replaces`, and picks what to ask each limiter. */
  private plan(request: RlsRequest): Plan[] {
    const domain = this.config.domains.get(request.domain);
    const replaced = new Set<string>();
    const matches = request.descriptors.map((descriptor) => {
      if (descriptor.limit !== undefined) return undefined;
      const match = domain === undefined ? undefined : matchDescriptor(domain, descriptor.entries);
      for (const name of match?.rule.limit?.replaces ?? []) replaced.add(name);
      return match;
    });
    return request.descriptors.map((descriptor, i): Plan => {
      const requested = descriptor.hitsAddend ?? (request.hitsAddend === 0 ? 1 : request.hitsAddend);
      if (descriptor.limit !== undefined) {
        // Envoy's own limit for this descriptor: a fixed window, never shadowed, as upstream.
        const limit: RuleLimit = {
          ...descriptor.limit,
          unlimited: false,
          name: undefined,
          replaces: [],
          algorithm: 'fixed-window',
          burst: undefined,
        };
        const key = JSON.stringify([request.domain, ...descriptor.entries.flatMap((e) => [e.key, e.value])]);
        if (limit.requestsPerUnit === 0) return { kind: 'deny-all', match: undefined, limit, shadow: false };
        const rule = this.limiters.override(request.domain, limit);
        if (rule === undefined) return { kind: 'none' };
        if (requested > rule.policy.limit) return { kind: 'deny-all', match: undefined, limit, shadow: false };
        return { kind: 'count', match: undefined, key, limit, rule, shadow: false, cost: requested };
      }
      const match = matches[i];
      const limit = match?.rule.limit;
      if (match === undefined || limit === undefined) return { kind: 'none' };
      if (limit.name !== undefined && replaced.has(limit.name)) return { kind: 'none' };
      if (limit.unlimited) return { kind: 'unlimited' };
      const shadow = match.rule.shadowMode;
      if (limit.requestsPerUnit === 0) return { kind: 'deny-all', match, limit, shadow };
      const rule = this.limiters.of(request.domain, match.rule.fullKey, limit, shadow) as RuleLimiter;
      // A cost no state could ever admit is over the limit (the library would reject it as an argument).
      if (requested > rule.policy.limit) return { kind: 'deny-all', match, limit, shadow };
      return { kind: 'count', match, key: match.key, limit, rule, shadow, cost: requested };
    });
  }

  private finish(
    request: RlsRequest,
    plans: readonly Plan[],
    decisions: readonly (Decision | undefined)[],
  ): RlsResponse {
    let over = false;
    plans.forEach((plan, i) => {
      if (plan.kind === 'deny-all' && !plan.shadow) over = true;
      const d = decisions[i];
      if (plan.kind === 'count' && plan.cost > 0 && d !== undefined && !d.allowed) over = true;
    });
    if (over) this.refundAll(plans, decisions);
    const items: HeaderItem[] = [];
    const statuses = plans.map((plan, i): DescriptorStatus => {
      if (plan.kind === 'none') return { code: 'OK', limitRemaining: 0 };
      if (plan.kind === 'unlimited') return { code: 'OK', limitRemaining: MAX_UINT32 };
      const name = plan.limit.name ?? plan.match?.rule.fullKey ?? `${request.domain}.override`;
      const currentLimit = {
        name: plan.limit.name ?? '',
        requestsPerUnit: plan.limit.requestsPerUnit,
        unit: plan.limit.unit ?? 'second',
      };
      const metricKey = plan.match?.metricKey ?? `${request.domain}.override`;
      if (plan.kind === 'deny-all') {
        const windowMs = UNIT_MS[currentLimit.unit];
        const untilReset = windowMs - (this.now() % windowMs);
        this.recorder.descriptor(request.domain, metricKey, 0, plan.shadow ? 'shadow_over' : 'over');
        items.push({
          name,
          quota: currentLimit.requestsPerUnit,
          windowMs,
          remaining: 0,
          resetMs: untilReset,
          allowed: false,
        });
        return {
          code: plan.shadow ? 'OK' : 'OVER_LIMIT',
          currentLimit,
          limitRemaining: 0,
          durationUntilResetMs: untilReset,
        };
      }
      const d = decisions[i] as Decision;
      const denied = plan.cost > 0 && !d.allowed;
      const wouldDeny = plan.cost > 0 && (denied || d.shadowDenied === true);
      // A refunded admission reports the state it left unchanged, as a denied set's other limits do.
      const remaining =
        over && !denied && plan.cost > 0 && !wouldDeny ? Math.min(d.limit, d.remaining + plan.cost) : d.remaining;
      const untilReset = denied ? d.retryAfterMs : d.resetMs;
      const outcome = wouldDeny ? (plan.shadow ? 'shadow_over' : 'over') : nearLimit(d, remaining) ? 'near' : 'within';
      this.recorder.descriptor(request.domain, metricKey, plan.cost, outcome);
      items.push({
        name,
        quota: plan.rule.policy.limit,
        windowMs: plan.rule.policy.windowMs,
        remaining,
        resetMs: untilReset,
        allowed: !denied,
      });
      return {
        code: denied ? 'OVER_LIMIT' : 'OK',
        currentLimit,
        limitRemaining: Math.min(remaining, MAX_UINT32),
        durationUntilResetMs: untilReset,
      };
    });
    return { overallCode: over ? 'OVER_LIMIT' : 'OK', statuses, responseHeadersToAdd: draftHeaders(items, over) };
  }

  /** Gives back what every admitted descriptor of a refused request spent (synchronously on memory). */
  private refundAll(plans: readonly Plan[], decisions: readonly (Decision | undefined)[]): void {
    plans.forEach((plan, i) => {
      const d = decisions[i];
      if (plan.kind !== 'count' || plan.cost === 0 || d === undefined || !d.allowed) return;
      plan.rule.limiter.refund(plan.key, { cost: plan.cost, decision: d }).catch(() => {
        // Reported by the limiter (logger and store-error event); a lost refund can only deny, never over-admit.
      });
    });
  }
}

/** Upstream's near-limit: an admitted request that leaves less than 20 % of the limit. */
function nearLimit(d: Decision, remaining: number): boolean {
  return remaining < d.limit * 0.2;
}

function checkRequest(request: RlsRequest): void {
  if (request.domain === '')
    throw new ServeRequestError('domain: found "", expected the non-empty domain of a configuration file');
  if (request.descriptors.length === 0)
    throw new ServeRequestError('descriptors: found none, expected at least one descriptor');
  request.descriptors.forEach((descriptor, i) => {
    if (descriptor.entries.length === 0) {
      throw new ServeRequestError(`descriptors[${i}].entries: found none, expected at least one entry`);
    }
    descriptor.entries.forEach((entry, j) => {
      if (entry.key === '')
        throw new ServeRequestError(`descriptors[${i}].entries[${j}].key: found "", expected a non-empty key`);
    });
  });
}
