import { CostCheck, costOf, largestCost, type StoreCost } from './costs.js';
import { Deadlines } from './deadlines.js';
import { DenialCache, DenialCacheGate, isCachedDenial } from './denial-cache.js';
import { degradedDecision, type StoreErrorPolicy } from './failure.js';
import type { Gate } from './gate.js';
import { type RateLimiterOptions, resolveOptions } from './limiter-options.js';
import { DecisionMessage, decisionChannel } from './observe/events.js';
import { outcomesOf } from './observe/outcomes.js';
import { type DecisionSink, LimiterSinks, othersListen } from './observe/recorders.js';
import { OutageWatch } from './outage.js';
import type { Decision } from './policies/decision.js';
import { combineDecisions, type LimitSpec } from './policies/limit-set.js';
import type { Policy } from './policies/policy.js';
import { RefundLedger } from './refund-ledger.js';
import { RequestKeys } from './request-keys.js';
import { ShardedGate } from './sharding.js';
import { MemoryStore } from './stores/memory.js';
import { turnNow } from './turn-clock.js';

export type { LimitCost, LimiterDecision, LimiterKeys, LimitOptions, RefundOptions } from './call-types.js';

import type { LimiterDecision, LimiterKeys, LimitOptions, RefundOptions } from './call-types.js';

/**
 * Decides, per key, whether a request may proceed: against one `policy`, or
 * against a set of named `limits`, all or nothing.
 *
 * @example
 * const limiter = new RateLimiter({ policy: tokenBucket({ capacity: 100, refillPerSecond: 10 }) });
 * const d = await limiter.limit('user:42');
 * if (!d.allowed) console.log(`retry in ${d.retryAfterMs} ms`);
 *
 * @example
 * const api = new RateLimiter({
 *   limits: {
 *     perSecond: tokenBucket({ capacity: 10, refillPerSecond: 10 }),
 *     perHour: slidingWindow({ limit: 1000, window: '1h' }),
 *   },
 * });
 * const d = await api.limit('user:42'); // d.limits.perHour.remaining, d.violated
 */
export class RateLimiter<Name extends string = never> {
  /** The limiter's policy; with `limits`, the first limit's (see {@link limits}). */
  readonly policy: Policy;
  /** Every limit, in declaration order (one, named 'default', for a limiter with a `policy`). */
  readonly limits: readonly LimitSpec[];
  readonly prefix: string;
  /** The name in events, metrics and log lines. */
  readonly name: string;
  readonly onStoreError: StoreErrorPolicy;
  readonly timeoutMs: number;
  readonly shards: number;
  private readonly gate: Gate;
  /** Built with `limits`: decisions carry `limits` and `violated`. */
  private readonly isSet: boolean;
  /** One policy in shadow mode: its decisions are admitted and marked. */
  private readonly shadowOne: boolean;
  /** A set of one limit: the store answers as for a policy, the limiter as for a set. */
  private readonly setOfOne: boolean;
  /**
   * With shards, the store's decision behind each one this limiter reshaped
   * (shadow, a set of one), so that a refund finds the shard that admitted.
   */
  private readonly storeDecisionOf: WeakMap<Decision, Decision> | undefined;
  private readonly refunds: RefundLedger;
  private readonly names: readonly string[];
  /** Validates costs against each limit (its smallest part's, with shards). */
  private readonly costs: CostCheck;
  /** One shared timer for every pending store call; undefined with `timeoutMs: Infinity`. */
  private readonly deadlines: Deadlines | undefined;
  /**
   * The deadlines of limit() and peek() when the store may answer later; undefined
   * for a synchronous store (memory), whose answer needs none: reading the clock
   * for it was a tenth of an in-memory decision.
   */
  private readonly askDeadlines: Deadlines | undefined;
  /** An asynchronous store without deadlines (`timeoutMs: Infinity`): its calls are timed by a clock read of their own. */
  private readonly timeWithoutDeadline: boolean;
  private readonly outage: OutageWatch;
  private readonly clock: () => number;
  private readonly requestKeys: RequestKeys;
  /** flowgate's exporters, counting this limiter's decisions with no message (observe/recorders.ts). */
  private readonly sinks: LimiterSinks;

  constructor(options: RateLimiterOptions<Name>) {
    const o = resolveOptions(options);
    this.limits = o.limits;
    this.refunds = new RefundLedger(o.limits);
    this.policy = (o.limits[0] as LimitSpec).policy;
    this.prefix = o.prefix;
    this.name = o.name;
    this.onStoreError = o.onStoreError;
    this.timeoutMs = o.timeoutMs;
    this.shards = o.shards;
    this.isSet = o.isSet;
    this.shadowOne = !o.isSet && (o.limits[0] as LimitSpec).shadow;
    this.setOfOne = o.isSet && o.limits.length === 1;
    this.storeDecisionOf = o.shards > 1 && (this.shadowOne || this.setOfOne) ? new WeakMap() : undefined;
    this.names = o.limits.map((spec) => spec.name);
    this.sinks = new LimiterSinks(o.name, o.limits);
    this.requestKeys = new RequestKeys(this.names, o.isSet);
    this.clock = o.clock ?? Date.now;
    this.deadlines = o.timeoutMs === Number.POSITIVE_INFINITY ? undefined : new Deadlines(o.timeoutMs);
    this.outage = new OutageWatch(o.name, o.onStoreError, o.logger);
    const store = o.store ?? new MemoryStore();
    const parts: Gate[] = [];
    const costLimits = o.limits.map(() => Number.POSITIVE_INFINITY);
    for (let i = 0; i < o.shards; i++) {
      const limits =
        o.shards === 1 ? o.limits : o.limits.map((spec) => ({ ...spec, policy: spec.policy.part(i, o.shards) }));
      for (const [j, spec] of limits.entries()) costLimits[j] = Math.min(costLimits[j] as number, spec.policy.limit);
      const prefix = o.shards === 1 ? o.prefix : `${o.prefix}:shard${i}`;
      let gate: Gate = store.bind(
        o.sharedState
          ? { prefix, limits, clock: o.clock, hashTag: o.hashTag, sharedState: true }
          : { prefix, limits, clock: o.clock, hashTag: o.hashTag },
      );
      if (o.denialKeys > 0) gate = new DenialCacheGate(gate, new DenialCache(o.denialKeys, this.clock));
      parts.push(gate);
    }
    this.costs = new CostCheck(this.names, o.isSet, costLimits, o.shards > 1);
    this.gate = parts.length === 1 ? (parts[0] as Gate) : new ShardedGate(parts);
    this.askDeadlines = this.gate.synchronous === true ? undefined : this.deadlines;
    this.timeWithoutDeadline = this.gate.synchronous !== true && this.deadlines === undefined;
  }

  /**
   * Decides a request and, if admitted, records it (in every limit of a set).
   * Rejects with a `FlowgateRangeError` when `cost` exceeds the limit.
   */
  limit(keys: LimiterKeys<Name>, options?: LimitOptions<Name>): Promise<LimiterDecision<Name>> {
    const decided = this.decide(keys, options);
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  }

  /**
   * {@link limit} without a promise when none is needed: the decision itself
   * when the store answers synchronously (the memory store, or a denial from
   * `denialCache`), a promise of it otherwise (Redis). Meant for middleware on
   * every request's path, where a promise and a microtask per request show in
   * the throughput; application code should call `limit`. It never throws:
   * invalid arguments, and store errors under `onStoreError: 'throw'`, come
   * back as a rejected promise.
   *
   * @example
   * const answer = limiter.decide('user:42');
   * const d = answer instanceof Promise ? await answer : answer;
   */
  decide(
    keys: LimiterKeys<Name>,
    options?: LimitOptions<Name>,
  ): LimiterDecision<Name> | Promise<LimiterDecision<Name>> {
    // Only an absent cost means 1: `cost: null` is a mistake to report, not a default.
    const cost = options?.cost === undefined ? 1 : this.costs.of(options.cost);
    if (cost instanceof Error) return Promise.reject(cost);
    const storeKeys = this.requestKeys.of(keys);
    if (storeKeys instanceof Error) return Promise.reject(storeKeys);
    return this.ask('limit', storeKeys, cost, options?.shardKey) as LimiterDecision<Name>;
  }

  /** The decision a cost-1 request would get now; consumes nothing. */
  peek(keys: LimiterKeys<Name>, options?: Pick<LimitOptions<Name>, 'shardKey'>): Promise<LimiterDecision<Name>> {
    const storeKeys = this.requestKeys.of(keys);
    if (storeKeys instanceof Error) return Promise.reject(storeKeys);
    const decided = this.ask('peek', storeKeys, 1, options?.shardKey);
    return (decided instanceof Promise ? decided : Promise.resolve(decided)) as Promise<LimiterDecision<Name>>;
  }

  /**
   * Gives back units that an admitted request spent, exactly as if it had
   * never been admitted where the algorithm can tell (the sliding log removes
   * that request's own entry): never more than it spent, never into a later
   * window, never below empty. A denied or degraded decision spent nothing:
   * refunding it changes nothing. Store errors follow `onStoreError`
   * (`'throw'` rejects; otherwise the refund is dropped and reported).
   *
   * @example
   * // Reserve the most an LLM call may use, give back what it did not.
   * const d = await tokens.limit(user, { cost: 4000 });
   * if (d.allowed) await tokens.refund(user, { cost: 4000 - used, decision: d });
   */
  async refund(keys: LimiterKeys<Name>, options: RefundOptions<Name> = {}): Promise<void> {
    const { decision, shardKey } = options;
    const cost = options.cost === undefined ? 1 : this.costs.of(options.cost);
    if (cost instanceof Error) throw cost;
    const storeKeys = this.requestKeys.of(keys);
    if (storeKeys instanceof Error) throw storeKeys;
    const refunds = this.refunds.take(decision, cost);
    if (refunds === undefined) return;
    const deadline = this.deadlines === undefined ? Number.POSITIVE_INFINITY : this.deadlines.deadline();
    const admitted = decision === undefined ? undefined : (this.storeDecisionOf?.get(decision) ?? decision);
    let done: Promise<void> | undefined;
    try {
      done = this.gate.refund(storeKeys.slice(), refunds, deadline, shardKey, admitted);
      if (done !== undefined) await (this.deadlines === undefined ? done : this.deadlines.race(done, deadline));
    } catch (error) {
      // Not given back: a later refund of the decision may try again. Timed out, the store's answer
      // is still to come and the refund may have applied: put back only if that answer is a failure,
      // or a retry would give the units back twice.
      if (done !== undefined && (error as { code?: unknown })?.code === 'FG_STORE_TIMEOUT') {
        done.then(undefined, () => this.refunds.putBack(decision, refunds));
      } else {
        this.refunds.putBack(decision, refunds);
      }
      if (isClockError(error)) throw error;
      this.outage.failed('refund', error);
      if (this.onStoreError === 'throw') throw error;
    }
  }

  /** Forgets the keys (every limit, every shard), so they start again at full capacity. */
  async reset(keys: LimiterKeys<Name>): Promise<void> {
    const storeKeys = this.requestKeys.of(keys);
    if (storeKeys instanceof Error) throw storeKeys;
    const deadline = this.deadlines === undefined ? Number.POSITIVE_INFINITY : this.deadlines.deadline();
    const done = this.gate.reset(storeKeys.slice(), deadline);
    if (done === undefined) return;
    try {
      await (this.deadlines === undefined ? done : this.deadlines.race(done, deadline));
    } catch (error) {
      if (!isClockError(error)) this.outage.failed('reset', error);
      throw error;
    }
  }

  /**
   * Asks the store, applying the timeout, the failure policy, shadow mode and
   * the events. The memory store answers synchronously: then so does this,
   * with no timer and no promise.
   */
  private ask(
    operation: 'limit' | 'peek',
    keys: readonly string[],
    cost: StoreCost,
    shardKey: string | undefined,
  ): Decision | Promise<Decision> {
    const observed = decisionChannel.hasSubscribers;
    const deadline = this.askDeadlines === undefined ? Number.POSITIVE_INFINITY : this.askDeadlines.deadline();
    // A store call is timed from its deadline's clock reading; without a deadline, the clock is read for an
    // observer only, and never for a synchronous store, whose answers are not timed.
    const now = observed && this.timeWithoutDeadline ? turnNow() : 0;
    let answer: Decision | Promise<Decision>;
    try {
      answer =
        operation === 'limit'
          ? this.gate.limit(keys, cost, deadline, shardKey)
          : this.gate.peek(keys, deadline, shardKey);
    } catch (error) {
      return this.failed(operation, error, cost, keys, observed);
    }
    if (answer instanceof Promise) {
      // (A synchronous store that answers with a promise all the same is timed from here.)
      const started =
        this.askDeadlines !== undefined ? deadline - this.timeoutMs : this.timeWithoutDeadline ? now : turnNow();
      // The reused one-key array must not outlive the call: a late answer may need the keys.
      // A synchronous store never answers with a promise; should one all the same, its timeout starts now.
      const settleBy =
        this.askDeadlines === undefined && this.deadlines !== undefined ? this.deadlines.deadline() : deadline;
      return this.settle(operation, answer, settleBy, cost, keys.slice(), started, observed);
    }
    // Answered in-process: not timed (NaN), so an observer costs no clock reading on the memory store's path.
    return this.answered(operation, answer, cost, keys, Number.NaN, observed);
  }

  /** The asynchronous half of {@link ask}, for stores that answer with a promise. */
  private async settle(
    operation: 'limit' | 'peek',
    answer: Promise<Decision>,
    deadline: number,
    cost: StoreCost,
    keys: readonly string[],
    started: number,
    observed: boolean,
  ): Promise<Decision> {
    let decided: Decision;
    try {
      decided = await (this.deadlines === undefined ? answer : this.deadlines.race(answer, deadline));
    } catch (error) {
      if (operation === 'limit' && (error as { code?: unknown })?.code === 'FG_STORE_TIMEOUT')
        this.undoLate(answer, keys, cost);
      return this.failed(operation, error, cost, keys, observed);
    }
    return this.answered(operation, decided, cost, keys, started, observed);
  }

  private answered(
    operation: 'limit' | 'peek',
    decided: Decision,
    cost: StoreCost,
    keys: readonly string[],
    started: number,
    observed: boolean,
  ): Decision {
    // A denial from the denial cache says nothing of the store's health.
    if (this.outage.failing && !isCachedDenial(decided)) this.outage.succeeded();
    const result = this.reshape(decided);
    if (observed) {
      const storeMs = Number.isNaN(started) ? undefined : turnNow() - started;
      this.publish(operation, decided, result, cost, keys, storeMs);
    }
    return result;
  }

  /** The failure policy's answer to a store error (or the error itself, with `onStoreError: 'throw'`). */
  private failed(
    operation: 'limit' | 'peek',
    error: unknown,
    cost: StoreCost,
    keys: readonly string[],
    observed: boolean,
  ): Decision | Promise<Decision> {
    // The caller's clock, not the store, is at fault: no failure policy answers for it.
    if (isClockError(error)) return Promise.reject(error);
    this.outage.failed(operation, error);
    if (this.onStoreError === 'throw') return Promise.reject(error);
    const onStoreError = this.onStoreError;
    const atMs = this.clock();
    const each = this.limits.map((spec, i) => degradedDecision(onStoreError, spec.policy, costOf(cost, i), atMs));
    const decided = this.isSet ? combineDecisions(this.limits, each) : (each[0] as Decision);
    const result = this.shadowOne ? shadowed(decided) : decided;
    if (observed) this.publish(operation, decided, result, cost, keys, undefined);
    return result;
  }

  /** The decision the caller gets from the store's: a shadow policy's admitted and marked, a set of one combined. */
  private reshape(decided: Decision): Decision {
    if (!this.shadowOne && !this.setOfOne) return decided;
    const result = this.shadowOne ? shadowed(decided) : combineDecisions(this.limits, [decided]);
    this.storeDecisionOf?.set(result, decided);
    return result;
  }

  private publish(
    operation: 'limit' | 'peek',
    decided: Decision,
    result: Decision,
    cost: StoreCost,
    keys: readonly string[],
    storeMs: number | undefined,
  ): void {
    const sinks = this.sinks.current();
    for (let i = 0; i < sinks.length; i++) (sinks[i] as DecisionSink).decision(operation, decided, result, storeMs);
    if (!othersListen(decisionChannel)) return;
    const outcomes = outcomesOf(this.limits, decided);
    // One limit: its key as a string, since `keys` may be the array reused by the next call (events may outlive it).
    // A set's keys are a fresh array per call.
    const eventKeys = keys.length === 1 ? (keys[0] as string) : keys;
    decisionChannel.publish(
      new DecisionMessage(this.name, this.names, operation, largestCost(cost), result, outcomes, storeMs, eventKeys),
    );
  }

  /**
   * The failure policy answered a call that the store may still decide: if
   * the store's answer arrives and admitted the request, give back what it
   * spent, so that a request answered by the failure policy is never spent.
   * (A Redis script that runs after the deadline commits nothing; this covers
   * one that ran in time and whose reply came late.)
   */
  private undoLate(answer: Promise<Decision>, keys: readonly string[], cost: StoreCost): void {
    answer.then(
      (decided) => {
        const refunds = this.refunds.take(decided, cost);
        if (refunds === undefined) return;
        const done = this.gate.refund(keys, refunds, Number.POSITIVE_INFINITY, undefined, decided);
        done?.catch((error: unknown) => this.outage.failed('refund', error));
      },
      () => {},
    );
  }
}

/** A shadow limiter's decision: admitted, never held, and marked when the policy would have denied. */
function shadowed(decided: Decision): Decision {
  return { ...decided, allowed: true, retryAfterMs: 0, delayMs: 0, shadowDenied: !decided.allowed };
}

/** A clock reading out of range (see clock-range.ts): the caller's mistake, not a store failure. */
function isClockError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'FG_CLOCK_OUT_OF_RANGE';
}
