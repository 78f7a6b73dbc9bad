import type { EventEmitter } from 'node:events';
import { FlowgateArgumentError, IssueList, isOptionsObject, show } from '../errors.js';
import type { LimitOptions, RateLimiter } from '../limiter.js';
import type { Decision } from '../policies/decision.js';
import { ResponseCounter } from './count-response.js';
import type { HeaderBag } from './forwarded.js';
import {
  type HeaderItem,
  type HeaderPlan,
  type HeadersMode,
  limitDecision,
  planHeaders,
  writeHeaders,
} from './headers.js';
import { ClientKeys, type IdentitySettings } from './identity.js';
import {
  type AnyRateLimiter,
  HTTP_OPTION_KEYS,
  type HttpOptions,
  type MaybePromise,
  type RateLimitInfo,
  type RequestKeys,
} from './options.js';
import { checkHttpOptions } from './options-check.js';
import { denialStatus, problemDetails } from './problem.js';
import type { RequestState } from './request-state.js';
import { finding, type Logger, RuntimeChecks } from './validation.js';
import { isLimiter, optionsMistake } from './wiring.js';

const COST_ONE: LimitOptions | undefined = undefined;

/** Default of `maxDelayMs`: about the idle timeout of common proxies and load balancers. */
export const DEFAULT_MAX_DELAY_MS = 60_000;

function ignore(): void {}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isPromiseLike(value);
}

/** Whether a hook's result is a promise (or any thenable) to wait for. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** What one limiter needs per request, computed once per middleware and limiter. */
export interface LimiterPlan {
  readonly limiter: RateLimiter<string>;
  /** Whether `limiter.decide` may stand in for `limiter.limit` (see {@link decidesDirectly}). */
  readonly direct: boolean;
  /** Whether decisions may carry a hold (`delayMs`): only an enforced leaky bucket's do. */
  readonly shapes: boolean;
  /** Whether the limiter has a set of limits, so that a key may be an object with one per limit. */
  readonly isSet: boolean;
  readonly headers: HeaderPlan;
}

/** Per-route settings that replace the middleware's (Fastify's route `config.rateLimit`). */
export interface RouteSettings<Req> {
  readonly limiter?: AnyRateLimiter | ((req: Req) => MaybePromise<AnyRateLimiter>);
  readonly key?: (req: Req) => MaybePromise<RequestKeys>;
  readonly cost?: (req: Req) => MaybePromise<number>;
}

/** One decided request: its decision, and what a refund or the headers need. */
export class Verdict {
  /** The item names the headers used (see `writeHeaders`); the plan's until then. */
  itemNames: readonly string[] | undefined = undefined;
  constructor(
    readonly decision: RateLimitInfo,
    readonly plan: LimiterPlan,
    readonly keys: RequestKeys,
    readonly cost: number,
    /** The request's state, when the run-time checks already looked it up (see `requestState`). */
    readonly state: RequestState | undefined,
  ) {}
}

/**
 * The framework-neutral middleware: validates options once, then per request
 * skips, picks the limiter, keys, costs and decides. Adapters only translate
 * requests and responses. Kept free of per-request closures where it can be:
 * it is on every request's path.
 */
export class HttpLimiter<Req, Res = Req> {
  private readonly fixed: LimiterPlan | undefined;
  private readonly limiterOf: ((req: Req) => MaybePromise<AnyRateLimiter>) | undefined;
  /** Plans of the limiters a `limiter(req)` function or a route returned, computed once each. */
  private readonly plans = new WeakMap<object, LimiterPlan>();
  private readonly headersMode: HeadersMode;
  private readonly policyName: string | undefined;
  private readonly lowerCaseNames: boolean;
  private readonly clientKeys: ClientKeys;
  private readonly keyOf: ((req: Req) => MaybePromise<RequestKeys>) | undefined;
  private readonly costOf: ((req: Req) => MaybePromise<number>) | undefined;
  private readonly skipOf: ((req: Req) => MaybePromise<boolean>) | undefined;
  private readonly counter: ResponseCounter<Res> | undefined;
  private readonly checks: RuntimeChecks | undefined;
  private readonly logger: Logger;
  private readonly maxDelayMs: number;
  private readonly scope: string;
  private reportedCollision = false;

  /**
   * @param scope the adapter's name in error messages, e.g. `'flowgate/express rateLimit'`
   * @param extraKeys option names the adapter adds (e.g. `onLimited`); their values are checked by the adapter
   * @param lowerCaseNames pass header names in lowercase, for frameworks that lowercase them to key their
   *   table anyway (Fastify, and node's setHeader under Express, Koa and node `http`): see headers.ts
   */
  constructor(options: HttpOptions<Req, Res>, scope: string, extraKeys: readonly string[], lowerCaseNames = false) {
    const mistake = optionsMistake(scope, options);
    if (mistake) throw mistake;
    const issues = new IssueList();
    let identity: IdentitySettings | undefined;
    if (isOptionsObject(issues, scope, options)) {
      issues.unknownKeys(scope, options, [...HTTP_OPTION_KEYS, ...extraKeys]);
      identity = checkHttpOptions(issues, scope, options);
    }
    issues.throwIfAny();
    this.scope = scope;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.policyName = options.policyName;
    this.headersMode = options.headers ?? 'draft-10';
    this.lowerCaseNames = lowerCaseNames;
    if (typeof options.limiter === 'function') {
      this.limiterOf = options.limiter;
      this.fixed = undefined;
    } else {
      this.limiterOf = undefined;
      this.fixed = this.planOf(options.limiter);
    }
    this.keyOf = options.key;
    this.costOf = options.cost;
    this.skipOf = options.skip;
    this.logger = options.logger ?? console;
    this.counter =
      options.countResponse === undefined ? undefined : new ResponseCounter(options.countResponse, this.logger, scope);
    const checks =
      options.validate === false
        ? undefined
        : new RuntimeChecks(this.logger, options.limiter, options.trustProxy !== undefined, scope);
    this.checks = checks;
    this.clientKeys = new ClientKeys(
      identity as IdentitySettings,
      checks === undefined ? undefined : (header, problem) => checks.malformedProxyHeader(header, problem),
    );
  }

  /** Whether responses are asked whether they count (`countResponse`): adapters then call {@link settle}. */
  get countsResponses(): boolean {
    return this.counter !== undefined;
  }

  /**
   * Decides one request. `undefined` (or a promise of it) means skipped: pass
   * the request on untouched. The verdict comes synchronously when it can
   * (memory store, synchronous hooks), so the adapter can pass the request on
   * without a promise and a microtask; otherwise it is a promise. `tag` is an
   * object that lives as long as the request (the raw request), used to spot
   * double counting and to append the headers of stacked middlewares.
   */
  decide(
    req: Req,
    address: string | undefined,
    headers: HeaderBag,
    tag: object,
    route?: RouteSettings<Req>,
  ): Verdict | Promise<Verdict | undefined> | undefined {
    if (this.skipOf !== undefined) {
      const skip = this.skipOf(req);
      if (skip === true) return undefined;
      if (skip !== false) {
        return Promise.resolve(skip).then((s) => (s ? undefined : this.keyed(req, address, headers, tag, route)));
      }
    }
    return this.keyed(req, address, headers, tag, route);
  }

  /**
   * Sets the rate-limit headers (and `Retry-After` on a denial) through the
   * adapter's setter, appending to what an earlier middleware wrote on the
   * same request (`tag`).
   */
  writeHeaders<T>(
    verdict: Verdict,
    target: T,
    set: (target: T, name: string, value: string) => void,
    tag: object,
  ): void {
    const plan = verdict.plan.headers;
    verdict.itemNames = writeHeaders(
      plan,
      verdict.decision,
      target,
      set,
      plan.legacy ? Date.now() : 0,
      tag,
      this.collided,
      verdict.state,
    );
  }

  /** The status of a denial: 429 over quota, 503 when the failure policy denied (the store is down). */
  status(verdict: Verdict): 429 | 503 {
    return denialStatus(verdict.decision);
  }

  /** The JSON text of the problem details body of a denial (429 or 503), naming the limits that denied. */
  problemBody(verdict: Verdict): string {
    const { decision } = verdict;
    const items = verdict.plan.headers.items;
    const names = verdict.itemNames ?? items.map((item) => item.name);
    const violated = decision.violated;
    const denying: number[] = [];
    for (let i = 0; i < items.length; i++) {
      if (violated === undefined || violated.includes((items[i] as HeaderItem).limitName)) denying.push(i);
    }
    // A set refused for its hold (maxDelayMs) has no violated limit: name every item.
    if (denying.length === 0) for (let i = 0; i < items.length; i++) denying.push(i);
    const only = denying.length === 1 ? items[denying[0] as number] : undefined;
    const quota = only === undefined ? decision.limit : limitDecision(decision, only.limitName).limit;
    return JSON.stringify(
      problemDetails(
        decision,
        denying.map((i) => names[i] as string),
        quota,
      ),
    );
  }

  /** After an admitted request's response: see {@link ResponseCounter.settle}. */
  settle(verdict: Verdict, res: Res): void {
    this.counter?.settle(verdict, res);
  }

  /** {@link settle} once `response` (a node `ServerResponse`) has been sent, or the client went away. */
  settleWhenSent(verdict: Verdict, response: EventEmitter, res: Res): void {
    this.counter?.settleWhenSent(verdict, response, res);
  }

  private readonly collided = (name: string, renamed: string): void => {
    if (this.reportedCollision) return;
    this.reportedCollision = true;
    this.logger.warn(
      finding(
        'FG_HTTP_POLICY_NAME_COLLISION',
        `${this.scope}: an earlier rateLimit middleware on this request already sent a policy named ` +
          `${JSON.stringify(name)}, so this one's is sent as ${JSON.stringify(renamed)}. Give each stacked ` +
          'middleware its own policyName (or its limits distinct names). Reported once.',
      ),
    );
  };

  /** The plan of `limiter`, computed once. */
  private planOf(limiter: AnyRateLimiter): LimiterPlan {
    let plan = this.plans.get(limiter);
    if (plan === undefined) {
      const set = limiter as RateLimiter<string>;
      plan = {
        limiter: set,
        direct: decidesDirectly(set),
        shapes: set.limits.some((spec) => !spec.shadow && spec.policy.algorithm === 'leaky-bucket'),
        // A limiter built with one `policy` has one limit, named 'default'.
        isSet: set.limits.length > 1 || set.limits[0]?.name !== 'default',
        headers: planHeaders(set.limits, this.headersMode, this.policyName, this.lowerCaseNames),
      };
      this.plans.set(limiter, plan);
    }
    return plan;
  }

  /** The plan of the limiter that decides this request: the route's, the tier's, or the middleware's. */
  private pick(req: Req, route: RouteSettings<Req> | undefined): LimiterPlan | Promise<LimiterPlan> {
    const chosen = route?.limiter ?? this.limiterOf;
    if (chosen === undefined) return this.fixed as LimiterPlan;
    if (typeof chosen !== 'function') return this.planOf(chosen);
    const limiter = chosen(req);
    if (isPromiseLike(limiter)) return Promise.resolve(limiter).then(this.checkedPlan);
    return this.checkedPlan(limiter);
  }

  private readonly checkedPlan = (limiter: unknown): LimiterPlan => {
    if (!isLimiter(limiter)) {
      throw new FlowgateArgumentError(
        'FG_LIMITER_INVALID',
        `${this.scope}: limiter(req) returned ${show(limiter)}; it must return a RateLimiter, one of those ` +
          'created once at start-up (e.g. one per tier).',
      );
    }
    return this.planOf(limiter as AnyRateLimiter);
  };

  /**
   * Picks the limiter, keys, costs and decides. A hook that throws
   * synchronously throws from here (the adapter passes it to its framework's
   * error path); one that rejects rejects the returned promise. Nothing is
   * left pending: a promise from one hook whose next hook then throws is
   * settled, not left to reject unhandled.
   */
  private keyed(
    req: Req,
    address: string | undefined,
    headers: HeaderBag,
    tag: object,
    route: RouteSettings<Req> | undefined,
  ): Verdict | Promise<Verdict> {
    this.checks?.request(headers);
    let key: MaybePromise<RequestKeys>;
    const keyOf = route?.key ?? this.keyOf;
    if (keyOf === undefined) {
      const found = this.clientKeys.keyOf(address, headers);
      if (found === undefined) this.checks?.noAddress();
      key = found ?? 'unknown';
    } else {
      key = keyOf(req);
    }
    let cost: MaybePromise<number> = 1;
    let plan: LimiterPlan | Promise<LimiterPlan>;
    try {
      const costOf = route?.cost ?? this.costOf;
      if (costOf !== undefined) cost = costOf(req);
      plan = this.pick(req, route);
    } catch (error) {
      if (isPromiseLike(key)) Promise.resolve(key).then(ignore, ignore);
      if (isPromiseLike(cost)) Promise.resolve(cost).then(ignore, ignore);
      throw error;
    }
    if (typeof cost === 'number' && !isPromiseLike(key) && !isPromiseLike(plan))
      return this.spend(tag, plan, key, cost);
    return Promise.all([key, cost, plan]).then(([k, c, p]) => this.spend(tag, p, k, c));
  }

  private spend(tag: object, plan: LimiterPlan, keys: RequestKeys, cost: number): Verdict | Promise<Verdict> {
    // Only a user's key function can produce anything else; say which option is wrong.
    if (typeof keys === 'string' ? keys.length === 0 : !plan.isSet || !isRecord(keys)) {
      return Promise.reject(this.keyError(keys));
    }
    const state = this.checks?.decided(tag, plan.limiter, typeof keys === 'string' ? keys : JSON.stringify(keys));
    const options = cost === 1 ? COST_ONE : { cost };
    const { limiter } = plan;
    const answer = plan.direct ? limiter.decide(keys, options) : limiter.limit(keys, options);
    if (answer instanceof Promise) {
      return answer.then((d) => new Verdict(this.capDelay(plan, d), plan, keys, cost, state));
    }
    return new Verdict(this.capDelay(plan, answer), plan, keys, cost, state);
  }

  /**
   * Refuses an admitted request that would be held longer than `maxDelayMs`.
   * It is retried when its hold would fit: when the queue (this request
   * included, as the limiter counted it) has drained to `maxDelayMs`, i.e.
   * `resetMs - maxDelayMs` from now. In a set, the limits whose hold is too
   * long are the violated ones.
   */
  private capDelay(plan: LimiterPlan, decision: RateLimitInfo): RateLimitInfo {
    if (!plan.shapes || decision.delayMs <= this.maxDelayMs) return decision;
    const refused: RateLimitInfo = {
      ...decision,
      allowed: false,
      delayMs: 0,
      retryAfterMs: Math.max(1, decision.resetMs - this.maxDelayMs),
    };
    const { limits } = decision;
    if (limits === undefined) return refused;
    const violated = Object.keys(limits).filter((name) => (limits[name] as Decision).delayMs > this.maxDelayMs);
    return { ...refused, violated };
  }

  private keyError(key: unknown): FlowgateArgumentError {
    return new FlowgateArgumentError(
      'FG_HTTP_KEY_INVALID',
      `${this.scope}: key(req) returned ${show(key)}; it must return a non-empty string, such as a user or ` +
        'API-key id (or, with a set of limits, an object with one per limit). A request without one cannot be ' +
        'counted: return a fallback (e.g. the client address).',
    );
  }
}

/**
 * Whether the middleware may call `limiter.decide` (a synchronous answer from
 * the memory store) instead of `limiter.limit`: only when both come from the
 * same class, so a subclass or wrapper that overrides `limit` alone (metrics,
 * logging, tests) is still called, as before `decide` existed.
 */
function decidesDirectly(limiter: RateLimiter<string>): boolean {
  if (typeof limiter.decide !== 'function') return false;
  return ownerOf(limiter, 'limit') === ownerOf(limiter, 'decide');
}

/** The object in `value`'s prototype chain that defines `name`. */
function ownerOf(value: object, name: string): object | undefined {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, name)) return o;
  }
  return undefined;
}
