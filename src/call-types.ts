/** The types of a limiter's calls: the keys, costs and options a request passes, and what it gets back. */
import type { Decision } from './policies/decision.js';
import type { SetDecision } from './policies/limit-set.js';

/**
 * What a request spends: a positive whole number for every limit, or (a
 * limiter with `limits`) a record with a whole number for every limit by
 * name, 0 where the request does not count.
 */
export type LimitCost<Name extends string = never> = [Name] extends [never]
  ? number
  : number | Readonly<Record<Name, number>>;

/** Options of {@link RateLimiter.limit}. */
export interface LimitOptions<Name extends string = never> {
  /**
   * Units this request spends: a positive whole number (in every limit, so at
   * most the smallest limit), or with `limits` one per limit by name, e.g.
   * `{ requests: 1, tokens: 500 }`. A record names every limit and only
   * those (a missing name is an error, not a default); each cost is a whole
   * number from 0 to that limit's limit, 0 meaning the request does not
   * count in that limit. All or nothing as ever: the request is admitted
   * only if every enforced limit admits its own cost.
   * @default 1
   */
  cost?: LimitCost<Name>;
  /** With `shards`, callers with the same `shardKey` always use the same sub-key. */
  shardKey?: string;
}

/** Options of {@link RateLimiter.refund}. */
export interface RefundOptions<Name extends string = never> {
  /**
   * Units to give back: a positive whole number (in every limit), or with
   * `limits` one per limit by name, as in {@link LimitOptions.cost}; never
   * more, in any limit, than the admission spent there. @default 1
   */
  cost?: LimitCost<Name>;
  /**
   * The decision of the admission being undone, so that exactly what it
   * spent is given back (its window, its log entry, its share of a bucket's
   * queue). Without it, the refund takes from the key's most recent
   * admissions: exact when nothing else was admitted since.
   */
  decision?: Decision;
  /** With `shards` and no `decision` from this process: the `shardKey` the admission used. */
  shardKey?: string;
}

/** The keys of a request: one string for every limit, or (with `limits`) one per limit by name. */
export type LimiterKeys<Name extends string> = [Name] extends [never]
  ? string
  : string | Readonly<Record<Name, string>>;

/** What a limiter decides: a `Decision`, or with `limits` a `SetDecision` naming each limit. */
export type LimiterDecision<Name extends string> = [Name] extends [never] ? Decision : SetDecision<Name>;
