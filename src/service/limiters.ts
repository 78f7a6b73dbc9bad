import type { StoreErrorPolicy } from '../failure.js';
import { RateLimiter } from '../limiter.js';
import { type Logger, SHARED_STATE } from '../limiter-options.js';
import type { Policy } from '../policies/policy.js';
import type { Store } from '../stores/store.js';
import type { Rule, RuleLimit, ServiceConfig } from './config.js';
import { policyOfRule } from './rule-policy.js';

/** What every limiter of the service shares. */
export interface LimiterContext {
  readonly store: Store;
  readonly onStoreError: StoreErrorPolicy;
  readonly logger: Logger;
  /** A test clock (`--test-clock`); undefined: the store's own time (Redis `TIME`, `Date.now` in memory). */
  readonly clock: (() => number) | undefined;
}

/** A rule's policy and what names it in a request shape. */
export interface RuleLimiter {
  readonly policy: Policy;
  readonly shadow: boolean;
  /** The rule's identity (domain, rule, algorithm, limit and mode): a request shape is a list of them. */
  readonly identity: string;
  /** Before the descriptor's key: '' for a rule, 'override' for an Envoy `limit` override (their keys never meet). */
  readonly keyPrefix: string;
}

/** The limiter of one request shape: its limit names (`d0`, `d1`, … in the order of the shape's rules). */
export interface ShapeLimiter {
  readonly limiter: RateLimiter<string>;
  readonly names: readonly string[];
}

/**
 * The rules' policies, and one `RateLimiter` per request shape (the list of
 * rules a request counts in, in order): its limits are those rules, so a
 * request is one call of `limit` with a cost per limit, decided all or
 * nothing in one store step (one script call on Redis). The limiters name
 * state by prefix, algorithm, unit and key only (`SHARED_STATE`), so every
 * shape that holds a rule shares that rule's counts, on memory as on Redis;
 * and a reload, which rebuilds them, keeps every count: an unchanged rule's,
 * and a changed rule's where its algorithm and unit stay (a raised or
 * lowered limit continues from the count, as Redis keys always did).
 */
export class Limiters {
  private readonly byIdentity = new Map<string, RuleLimiter>();
  /** The same, by the configuration's rule objects: found per descriptor without building its identity. */
  private readonly byRule = new Map<Rule, RuleLimiter>();
  private readonly shapes = new Map<string, ShapeLimiter>();
  private overrides = 0;

  constructor(
    private readonly context: LimiterContext,
    config: ServiceConfig,
  ) {
    for (const domain of config.domains.values()) {
      for (const rule of domain.rules) {
        if (rule.limit === undefined) continue;
        const built = this.build(domain.domain, rule.fullKey, rule.limit, rule.shadowMode);
        if (built === undefined) continue;
        this.byIdentity.set(built.identity, built);
        this.byRule.set(rule, built);
      }
    }
  }

  /** The policy of a rule of the configuration these limiters were built for; undefined for `unlimited` and `requests_per_unit: 0`. */
  ofRule(rule: Rule): RuleLimiter | undefined {
    return this.byRule.get(rule);
  }

  /**
   * The policy of an Envoy `limit` override (a descriptor that carries its own
   * `requests_per_unit` and `unit`): a fixed window, as upstream, built on first use.
   */
  override(domain: string, limit: RuleLimit): RuleLimiter | undefined {
    const identity = identityOf(domain, OVERRIDE, limit, false);
    let found = this.byIdentity.get(identity);
    if (found !== undefined) return found;
    found = this.build(domain, OVERRIDE, limit, false);
    // Overrides come from Envoy's configuration, a handful of distinct limits; the cap keeps a
    // misbehaving client from growing the map without end. Past it an override is built for its
    // request alone (as a request shape past MAX_SHAPES): enforced all the same, its state shared.
    if (found !== undefined && this.overrides < MAX_OVERRIDES) {
      this.overrides++;
      this.byIdentity.set(identity, found);
    }
    return found;
  }

  /** The limiter of a request that counts in `rules`, in that order. */
  shape(rules: readonly RuleLimiter[]): ShapeLimiter {
    let id = (rules[0] as RuleLimiter).identity;
    for (let i = 1; i < rules.length; i++) id += `\n${(rules[i] as RuleLimiter).identity}`;
    let found = this.shapes.get(id);
    if (found !== undefined) return found;
    const names = rules.map((_, i) => `d${i}`);
    const limits: Record<string, { policy: Policy; mode: 'shadow' | 'enforce' }> = {};
    for (const [i, rule] of rules.entries()) {
      limits[names[i] as string] = { policy: rule.policy, mode: rule.shadow ? 'shadow' : 'enforce' };
    }
    const options = {
      limits,
      store: this.context.store,
      prefix: 'flowgate-serve',
      name: 'flowgate-serve',
      onStoreError: this.context.onStoreError,
      logger: this.context.logger,
      ...(this.context.clock === undefined ? {} : { clock: this.context.clock }),
      [SHARED_STATE]: true,
    };
    found = { limiter: new RateLimiter<string>(options), names };
    // Shapes are few (the descriptor lists Envoy's route actions produce); past the cap a request's
    // limiter is built for it alone, which costs time, never a count (state is shared).
    if (this.shapes.size < MAX_SHAPES) this.shapes.set(id, found);
    return found;
  }

  private build(domain: string, fullKey: string, limit: RuleLimit, shadow: boolean): RuleLimiter | undefined {
    const policy = policyOfRule(limit);
    if (policy === undefined) return undefined;
    const keyPrefix = fullKey === OVERRIDE ? 'override' : '';
    return { policy, shadow, identity: identityOf(domain, fullKey, limit, shadow), keyPrefix };
  }
}

const OVERRIDE = '(override)';

/** Distinct Envoy `limit` overrides (domain, unit, requests per unit) one configuration holds policies for. */
const MAX_OVERRIDES = 1000;

/** Distinct request shapes whose limiters are kept. */
const MAX_SHAPES = 10_000;

function identityOf(domain: string, fullKey: string, limit: RuleLimit, shadow: boolean): string {
  return JSON.stringify([domain, fullKey, limit.algorithm, limit.unit, limit.requestsPerUnit, limit.burst, shadow]);
}
