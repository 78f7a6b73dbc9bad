import type { StoreErrorPolicy } from '../failure.js';
import { RateLimiter } from '../limiter.js';
import type { Logger } from '../limiter-options.js';
import type { Policy } from '../policies/policy.js';
import type { Store } from '../stores/store.js';
import type { RuleLimit, ServiceConfig } from './config.js';
import { policyOfRule } from './rule-policy.js';

/** What every limiter of the service shares. */
export interface LimiterContext {
  readonly store: Store;
  readonly onStoreError: StoreErrorPolicy;
  readonly logger: Logger;
  /** A test clock (`--test-clock`); undefined: the store's own time (Redis `TIME`, `Date.now` in memory). */
  readonly clock: (() => number) | undefined;
}

/** A rule's limiter and the policy it enforces. */
export interface RuleLimiter {
  readonly limiter: RateLimiter;
  readonly policy: Policy;
}

/**
 * One `RateLimiter` per rule (per domain, rule, algorithm, limit and mode),
 * each keyed by the descriptor's entries. Rebuilt on every configuration
 * load, keeping the limiters of unchanged rules, so that a reload does not
 * reset a memory store's counts (a Redis store keeps them anyway: same
 * prefix, algorithm and window share state, so a raised limit continues the
 * count).
 */
export class Limiters {
  private readonly byIdentity: Map<string, RuleLimiter>;
  private overrides = 0;

  constructor(
    private readonly context: LimiterContext,
    config: ServiceConfig,
    previous?: Limiters,
  ) {
    this.byIdentity = new Map();
    for (const domain of config.domains.values()) {
      for (const rule of domain.rules) {
        if (rule.limit === undefined) continue;
        const identity = identityOf(domain.domain, rule.fullKey, rule.limit, rule.shadowMode);
        const kept = previous?.byIdentity.get(identity);
        const built = kept ?? this.build(domain.domain, rule.fullKey, rule.limit, rule.shadowMode);
        if (built !== undefined) this.byIdentity.set(identity, built);
      }
    }
  }

  /** The limiter of a rule of `domain`, or undefined for `unlimited` and `requests_per_unit: 0`. */
  of(domain: string, fullKey: string, limit: RuleLimit, shadow: boolean): RuleLimiter | undefined {
    return this.byIdentity.get(identityOf(domain, fullKey, limit, shadow));
  }

  /**
   * The limiter of an Envoy `limit` override (a descriptor that carries its own
   * `requests_per_unit` and `unit`): a fixed window, as upstream, built on first use.
   */
  override(domain: string, limit: RuleLimit): RuleLimiter | undefined {
    const identity = identityOf(domain, '(override)', limit, false);
    let found = this.byIdentity.get(identity);
    // Overrides come from Envoy's configuration, a handful of distinct limits; the cap keeps a
    // misbehaving client from growing the map without end (past it, overrides are not enforced).
    if (found === undefined && this.overrides < MAX_OVERRIDES) {
      this.overrides++;
      found = this.build(domain, '(override)', limit, false);
      if (found !== undefined) this.byIdentity.set(identity, found);
    }
    return found;
  }

  private build(domain: string, fullKey: string, limit: RuleLimit, shadow: boolean): RuleLimiter | undefined {
    const policy = policyOfRule(limit);
    if (policy === undefined) return undefined;
    const limiter = new RateLimiter({
      policy,
      store: this.context.store,
      // The key names the domain and the entries; the prefix keeps overrides apart from the rules.
      prefix: fullKey === '(override)' ? 'flowgate-serve-override' : 'flowgate-serve',
      name: `${domain}:${fullKey}`,
      mode: shadow ? 'shadow' : 'enforce',
      onStoreError: this.context.onStoreError,
      logger: this.context.logger,
      ...(this.context.clock === undefined ? {} : { clock: this.context.clock }),
    });
    return { limiter, policy };
  }
}

/** Distinct Envoy `limit` overrides (domain, unit, requests per unit) one configuration holds limiters for. */
const MAX_OVERRIDES = 1000;

function identityOf(domain: string, fullKey: string, limit: RuleLimit, shadow: boolean): string {
  return JSON.stringify([domain, fullKey, limit.algorithm, limit.unit, limit.requestsPerUnit, limit.burst, shadow]);
}
