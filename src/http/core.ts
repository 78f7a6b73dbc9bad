import type { LimitOptions, RateLimiter } from '../limiter.js';
import type { Decision } from '../policies/decision.js';
import { FlowgateArgumentError, IssueList, isOptionsObject, show } from '../policies/errors.js';
import type { HeaderBag, ProxyHeader } from './forwarded.js';
import { HEADERS_MODES, type HeaderPlan, isSfStringSafe, planHeaders, writeHeaders } from './headers.js';
import { ClientKeys, type IdentitySettings } from './identity.js';
import { HTTP_OPTION_KEYS, type HttpOptions, type MaybePromise } from './options.js';
import { denialStatus, problemDetails } from './problem.js';
import { compileTrust } from './trust.js';
import { RuntimeChecks } from './validation.js';
import { optionsMistake } from './wiring.js';

const PROXY_HEADERS: readonly ProxyHeader[] = ['x-forwarded-for', 'forwarded', 'x-real-ip'];
const COST_ONE: LimitOptions | undefined = undefined;

/** Default of `maxDelayMs`: about the idle timeout of common proxies and load balancers. */
export const DEFAULT_MAX_DELAY_MS = 60_000;

function ignore(): void {}

/** Whether a hook's result is a promise (or any thenable) to wait for. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * The framework-neutral middleware: validates options once, then per request
 * skips, keys, costs and decides. Adapters only translate requests and
 * responses. Kept free of per-request closures: it is on every request's path.
 */
export class HttpLimiter<Req> {
  readonly limiter: RateLimiter;
  readonly policyName: string;
  private readonly plan: HeaderPlan;
  private readonly clientKeys: ClientKeys;
  private readonly keyOf: ((req: Req) => MaybePromise<string>) | undefined;
  private readonly costOf: ((req: Req) => MaybePromise<number>) | undefined;
  private readonly skipOf: ((req: Req) => MaybePromise<boolean>) | undefined;
  private readonly checks: RuntimeChecks | undefined;
  /** Whether `limiter.decide` may stand in for `limiter.limit` (see {@link decidesDirectly}). */
  private readonly direct: boolean;
  /** Whether decisions may carry a hold (`delayMs`): only the leaky bucket's do. */
  private readonly shapes: boolean;
  private readonly maxDelayMs: number;
  private readonly scope: string;

  /**
   * @param scope the adapter's name in error messages, e.g. `'flowgate/express rateLimit'`
   * @param extraKeys option names the adapter adds (e.g. `onLimited`); their values are checked by the adapter
   * @param lowerCaseNames pass header names in lowercase, for frameworks that lowercase them anyway (Fastify)
   */
  constructor(options: HttpOptions<Req>, scope: string, extraKeys: readonly string[], lowerCaseNames = false) {
    const mistake = optionsMistake(scope, options);
    if (mistake) throw mistake;
    const issues = new IssueList();
    let identity: IdentitySettings | undefined;
    if (isOptionsObject(issues, scope, options)) {
      issues.unknownKeys(scope, options, [...HTTP_OPTION_KEYS, ...extraKeys]);
      identity = validate(issues, scope, options);
    }
    issues.throwIfAny();
    this.limiter = options.limiter;
    this.scope = scope;
    this.direct = decidesDirectly(options.limiter);
    this.shapes = options.limiter.policy.algorithm === 'leaky-bucket';
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.policyName = options.policyName ?? 'default';
    this.plan = planHeaders(options.limiter.policy, options.headers ?? 'draft-10', this.policyName, lowerCaseNames);
    this.keyOf = options.key;
    this.costOf = options.cost;
    this.skipOf = options.skip;
    const checks =
      options.validate === false
        ? undefined
        : new RuntimeChecks(options.logger ?? console, options.limiter, options.trustProxy !== undefined, scope);
    this.checks = checks;
    this.clientKeys = new ClientKeys(
      identity as IdentitySettings,
      checks === undefined ? undefined : (header, problem) => checks.malformedProxyHeader(header, problem),
    );
  }

  /**
   * Decides one request. `undefined` (or a promise of it) means skipped: pass
   * the request on untouched. The decision comes synchronously when it can
   * (memory store, synchronous key/cost/skip functions), so the adapter can
   * pass the request on without a promise and a microtask; otherwise it is a
   * promise. `tag` is an object that lives as long as the request (the raw
   * request), used to spot double counting.
   */
  decide(
    req: Req,
    address: string | undefined,
    headers: HeaderBag,
    tag: object,
  ): Decision | Promise<Decision | undefined> | undefined {
    if (this.skipOf !== undefined) {
      const skip = this.skipOf(req);
      if (skip === true) return undefined;
      if (skip !== false) {
        return Promise.resolve(skip).then((s) => (s ? undefined : this.keyed(req, address, headers, tag)));
      }
    }
    return this.keyed(req, address, headers, tag);
  }

  /** Sets the rate-limit headers (and `Retry-After` on a denial) through the adapter's setter. */
  writeHeaders<T>(decision: Decision, target: T, set: (target: T, name: string, value: string) => void): void {
    writeHeaders(this.plan, decision, target, set, this.plan.legacy ? Date.now() : 0);
  }

  /** The status of a denial: 429 over quota, 503 when the failure policy denied (the store is down). */
  status(decision: Decision): 429 | 503 {
    return denialStatus(decision);
  }

  /** The JSON text of the problem details body of a denial (429 or 503). */
  problemBody(decision: Decision): string {
    return JSON.stringify(problemDetails(decision, this.policyName));
  }

  /**
   * Keys, costs and decides. A hook that throws synchronously throws from
   * here (the adapter passes it to its framework's error path); one that
   * rejects rejects the returned promise. Nothing is left pending: a key
   * promise whose cost hook then throws is settled, not left to reject unhandled.
   */
  private keyed(req: Req, address: string | undefined, headers: HeaderBag, tag: object): Decision | Promise<Decision> {
    this.checks?.request(headers);
    let key: MaybePromise<string>;
    if (this.keyOf === undefined) {
      const found = this.clientKeys.keyOf(address, headers);
      if (found === undefined) this.checks?.noAddress();
      key = found ?? 'unknown';
    } else {
      key = this.keyOf(req);
    }
    let cost: MaybePromise<number> = 1;
    if (this.costOf !== undefined) {
      try {
        cost = this.costOf(req);
      } catch (error) {
        if (isPromiseLike(key)) Promise.resolve(key).then(ignore, ignore);
        throw error;
      }
    }
    if (typeof key === 'string' && typeof cost === 'number') return this.spend(tag, key, cost);
    return Promise.all([key, cost]).then(([k, c]) => this.spend(tag, k, c));
  }

  private spend(tag: object, key: string, cost: number): Decision | Promise<Decision> {
    // Only a user's key function can produce anything else; say which option is wrong.
    if (typeof key !== 'string' || key.length === 0) return Promise.reject(this.keyError(key));
    this.checks?.decided(tag, key);
    const options = cost === 1 ? COST_ONE : { cost };
    const answer = this.direct ? this.limiter.decide(key, options) : this.limiter.limit(key, options);
    if (!this.shapes) return answer;
    return answer instanceof Promise ? answer.then(this.capDelay) : this.capDelay(answer);
  }

  /**
   * Refuses an admitted request that would be held longer than `maxDelayMs`.
   * It is retried when its hold would fit: when the queue (this request
   * included, as the limiter counted it) has drained to `maxDelayMs`, i.e.
   * `resetMs - maxDelayMs` from now. An arrow bound once, so the async path
   * allocates no closure per request.
   */
  private readonly capDelay = (decision: Decision): Decision => {
    if (decision.delayMs <= this.maxDelayMs) return decision;
    return { ...decision, allowed: false, delayMs: 0, retryAfterMs: Math.max(1, decision.resetMs - this.maxDelayMs) };
  };

  private keyError(key: unknown): FlowgateArgumentError {
    return new FlowgateArgumentError(
      'FG_HTTP_KEY_INVALID',
      `${this.scope}: key(req) returned ${show(key)}; it must return a non-empty string, such as a user or ` +
        'API-key id. A request without one cannot be counted: return a fallback (e.g. the client address).',
    );
  }
}

/**
 * Whether the middleware may call `limiter.decide` (a synchronous answer from
 * the memory store) instead of `limiter.limit`: only when both come from the
 * same class, so a subclass or wrapper that overrides `limit` alone (metrics,
 * logging, tests) is still called, as before `decide` existed.
 */
function decidesDirectly(limiter: RateLimiter): boolean {
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

function validate<Req>(issues: IssueList, scope: string, options: HttpOptions<Req>): IdentitySettings {
  const { limiter, headers, policyName, proxyHeader, ipv6Subnet, maxDelayMs, logger, validate } = options;
  const isLimiter =
    typeof limiter === 'object' &&
    limiter !== null &&
    typeof (limiter as RateLimiter).limit === 'function' &&
    typeof (limiter as RateLimiter).policy?.limit === 'number';
  if (!isLimiter)
    issues.add('FG_LIMITER_INVALID', `${scope}.limiter`, limiter, 'a RateLimiter, created once at start-up');
  for (const name of ['key', 'cost', 'skip'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') {
      issues.add('FG_HTTP_OPTION_INVALID', `${scope}.${name}`, value, 'a function of the request');
    }
  }
  if (!HEADERS_MODES.includes(headers as never) && headers !== undefined) {
    issues.add('FG_HEADERS_INVALID', `${scope}.headers`, headers, "one of 'draft-10', 'legacy', 'both', false");
  }
  if (policyName !== undefined && !isSfStringSafe(policyName)) {
    issues.add('FG_POLICY_NAME_INVALID', `${scope}.policyName`, policyName, 'a non-empty string of printable ASCII');
  }
  if (proxyHeader !== undefined && !PROXY_HEADERS.includes(proxyHeader)) {
    issues.add('FG_PROXY_HEADER_INVALID', `${scope}.proxyHeader`, proxyHeader, `one of ${PROXY_HEADERS.join(', ')}`);
  }
  if (
    ipv6Subnet !== undefined &&
    ipv6Subnet !== false &&
    !(typeof ipv6Subnet === 'number' && Number.isInteger(ipv6Subnet) && ipv6Subnet >= 1 && ipv6Subnet <= 128)
  ) {
    issues.add('FG_IPV6_SUBNET_INVALID', `${scope}.ipv6Subnet`, ipv6Subnet, 'a prefix length from 1 to 128, or false');
  }
  if (
    maxDelayMs !== undefined &&
    maxDelayMs !== Number.POSITIVE_INFINITY &&
    !(typeof maxDelayMs === 'number' && Number.isInteger(maxDelayMs) && maxDelayMs >= 0)
  ) {
    issues.add(
      'FG_MAX_DELAY_INVALID',
      `${scope}.maxDelayMs`,
      maxDelayMs,
      'a whole number of milliseconds >= 0, or Infinity',
    );
  }
  if (logger !== undefined && (typeof logger?.warn !== 'function' || typeof logger?.error !== 'function')) {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.logger`, logger, 'an object with warn(message) and error(message)');
  }
  if (validate !== undefined && typeof validate !== 'boolean') {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.validate`, validate, 'true or false');
  }
  return {
    trust: compileTrust(issues, `${scope}.trustProxy`, options.trustProxy),
    proxyHeader: proxyHeader ?? 'x-forwarded-for',
    ipv6Subnet: ipv6Subnet ?? 64,
  };
}
