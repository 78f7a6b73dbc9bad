import type { Decision } from '../policies/decision.js';
import type { SetDecision } from '../policies/limit-set.js';
import type { RuleLimit, ServiceConfig } from './config.js';
import { UNIT_MS } from './config.js';
import { ServeRequestError } from './errors.js';
import { draftHeaders, type HeaderItem } from './headers.js';
import type { Limiters, RuleLimiter } from './limiters.js';
import { type Match, matchDescriptor } from './match.js';
import type { DescriptorStatus, RlsRequest, RlsResponse } from './rls.js';

const MAX_UINT32 = 2 ** 32 - 1;

/**
 * Most descriptors decided in one request. A request's descriptors are one
 * limit set (one limiter per request shape, kept), and matching and merging
 * them is quadratic: thousands in one request held the event loop for
 * seconds and grew the kept limiters without end. Envoy sends one
 * descriptor per `rate_limits` action, a handful per route.
 */
export const MAX_DESCRIPTORS = 64;

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
      /** Units to spend; 0: only look. */
      readonly cost: number;
    };

type CountPlan = Extract<Plan, { kind: 'count' }>;

/** One limit of a request's set: a rule and a key, with what every descriptor on them spends. */
interface Member {
  readonly rule: RuleLimiter;
  readonly key: string;
  cost: number;
}

/**
 * Decides `ShouldRateLimit` requests against the configuration in force. The
 * descriptors of one request are one limit set, decided by one call of the
 * limiter of the request's shape with a cost per descriptor (its
 * `hits_addend`): one synchronous step on memory, one script call on Redis,
 * all or nothing, so a refused request counts in none of its descriptors and
 * no concurrent request ever sees a count that is about to be given back.
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
    // Descriptors that count in the same rule under the same key are one limit (their costs add up,
    // as upstream adds them to one counter); the others are one limit each.
    const members: Member[] = [];
    const memberOf: number[] = plans.map(() => -1);
    let blocked = false;
    for (const [i, plan] of plans.entries()) {
      if (plan.kind === 'deny-all' && !plan.shadow) blocked = true;
      if (plan.kind !== 'count') continue;
      // By identity: an override past MAX_OVERRIDES is a new object per descriptor, on the same count.
      let m = members.findIndex((member) => member.rule.identity === plan.rule.identity && member.key === plan.key);
      if (m < 0) m = members.push({ rule: plan.rule, key: plan.key, cost: 0 }) - 1;
      (members[m] as Member).cost += plan.cost;
      memberOf[i] = m;
    }
    // A rule whose descriptors together ask more than it can ever admit is over, like one that asks it alone.
    for (const [i, plan] of plans.entries()) {
      const m = memberOf[i] as number;
      if (m < 0 || (members[m] as Member).cost <= (plan as CountPlan).rule.policy.limit) continue;
      const { match, limit, shadow } = plan as CountPlan;
      plans[i] = { kind: 'deny-all', match, limit, shadow };
      memberOf[i] = -1;
      if (!shadow) blocked = true;
    }
    const counted = members.filter((member) => member.cost <= member.rule.policy.limit);
    if (counted.length === 0) return Promise.resolve(this.finish(request, plans, memberOf, undefined, blocked, 0));
    const index = members.map((member) => counted.indexOf(member));
    const memberIndex = memberOf.map((m) => (m < 0 ? -1 : (index[m] as number)));
    const { limiter, names } = this.limiters.shape(counted.map((member) => member.rule));
    const keys: Record<string, string> = {};
    const cost: Record<string, number> = {};
    for (const [j, member] of counted.entries()) {
      const name = names[j] as string;
      keys[name] = member.rule.keyPrefix + member.key;
      // A request that a deny-all descriptor refuses spends nothing: its other descriptors are only looked at.
      cost[name] = blocked ? 0 : member.cost;
    }
    let answer: SetDecision | Promise<SetDecision>;
    try {
      answer = limiter.decide(keys, { cost }) as SetDecision | Promise<SetDecision>;
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(answer instanceof Promise)) {
      return Promise.resolve(this.finish(request, plans, memberIndex, answer, blocked, counted.length));
    }
    return answer.then((decided) => this.finish(request, plans, memberIndex, decided, blocked, counted.length));
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
      // An unknown domain has no limits, overrides included (as upstream): a client's made-up domains
      // would otherwise be counted, and labelled in the metrics, without end.
      if (domain === undefined) return { kind: 'none' };
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
      const rule = this.limiters.ofRule(match.rule) as RuleLimiter;
      // A cost no state could ever admit is over the limit (the library would reject it as an argument).
      if (requested > rule.policy.limit) return { kind: 'deny-all', match, limit, shadow };
      return { kind: 'count', match, key: match.key, limit, rule, shadow, cost: requested };
    });
  }

  /**
   * The response from the set's decision. `memberOf[i]` is descriptor i's
   * limit in the set (-1: none); with `blocked` (a deny-all descriptor), the
   * set was only looked at (cost 0), and a descriptor is reported over when
   * its own cost exceeds what it has left.
   */
  private finish(
    request: RlsRequest,
    plans: readonly Plan[],
    memberOf: readonly number[],
    decided: SetDecision | undefined,
    blocked: boolean,
    size: number,
  ): RlsResponse {
    const names = size === 0 ? [] : this.namesOf(size);
    const over = blocked || (decided !== undefined && !decided.allowed);
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
      const d = (decided as SetDecision).limits[names[memberOf[i] as number] as string] as Decision;
      // A shadow rule's own decision says what it would decide; it never denies.
      const wouldDeny = plan.cost > 0 && (blocked ? plan.cost > d.remaining : !d.allowed);
      const denied = wouldDeny && !plan.shadow;
      const untilReset = denied && !blocked ? d.retryAfterMs : d.resetMs;
      const outcome = wouldDeny
        ? plan.shadow
          ? 'shadow_over'
          : 'over'
        : nearLimit(d, d.remaining)
          ? 'near'
          : 'within';
      this.recorder.descriptor(request.domain, metricKey, plan.cost, outcome);
      items.push({
        name,
        quota: plan.rule.policy.limit,
        windowMs: plan.rule.policy.windowMs,
        remaining: d.remaining,
        resetMs: untilReset,
        allowed: !denied,
      });
      return {
        code: denied ? 'OVER_LIMIT' : 'OK',
        currentLimit,
        limitRemaining: Math.min(d.remaining, MAX_UINT32),
        durationUntilResetMs: untilReset,
      };
    });
    return { overallCode: over ? 'OVER_LIMIT' : 'OK', statuses, responseHeadersToAdd: draftHeaders(items, over) };
  }

  /** `d0`, `d1`, …: the limit names of a shape of `size` rules (see Limiters.shape). */
  private namesOf(size: number): readonly string[] {
    while (LIMIT_NAMES.length < size) LIMIT_NAMES.push(`d${LIMIT_NAMES.length}`);
    return LIMIT_NAMES;
  }
}

const LIMIT_NAMES: string[] = [];

/** Upstream's near-limit: an admitted request that leaves less than 20 % of the limit. */
function nearLimit(d: Decision, remaining: number): boolean {
  return remaining < d.limit * 0.2;
}

function checkRequest(request: RlsRequest): void {
  if (request.domain === '')
    throw new ServeRequestError('domain: found "", expected the non-empty domain of a configuration file');
  if (request.descriptors.length === 0)
    throw new ServeRequestError('descriptors: found none, expected at least one descriptor');
  if (request.descriptors.length > MAX_DESCRIPTORS)
    throw new ServeRequestError(
      `descriptors: found ${request.descriptors.length}, expected at most ${MAX_DESCRIPTORS} descriptors per request (Envoy sends one per rate_limits action)`,
    );
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
