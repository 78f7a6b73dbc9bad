import type { RateLimiter } from '../limiter.js';
import type { Decision } from '../policies/decision.js';
import type { SetDecision } from '../policies/limit-set.js';
import type { ProxyHeader } from './forwarded.js';
import type { HeadersMode } from './headers.js';
import type { TrustProxy } from './trust.js';
import type { Logger } from './validation.js';

/** A value, or a promise of it: key, cost and skip functions may be async. */
export type MaybePromise<T> = T | Promise<T>;

/** A limiter with one `policy`, or with a set of named `limits`. */
export type AnyRateLimiter = RateLimiter | RateLimiter<string>;

/** The keys of a request: one string for every limit, or one per limit of a set by name. */
export type RequestKeys = string | Readonly<Record<string, string>>;

/**
 * The decision an admitted request's handler sees (`req.rateLimit`,
 * `request.rateLimit`, `c.get('rateLimit')`, `ctx.state.rateLimit`): a
 * `Decision`, with `limits` and `violated` when the limiter has a set of limits.
 */
export type RateLimitInfo = Decision & Partial<Pick<SetDecision, 'limits' | 'violated'>>;

/**
 * Options every adapter accepts. `Req` is the framework's request (Express
 * `Request`, Fastify `FastifyRequest`, Hono `Context`, node `IncomingMessage`);
 * `Res` what `countResponse` reads (the response, reply or context).
 */
export interface HttpOptions<Req, Res = Req> {
  /**
   * The limiter that decides each request, created once at start-up; or a
   * function of the request that picks one (tiers: a free and a paid
   * limiter, each created once at start-up).
   */
  limiter: AnyRateLimiter | ((req: Req) => MaybePromise<AnyRateLimiter>);
  /**
   * The rate-limit key of a request, e.g. a user or API-key id; with a set of
   * limits, one string for all of them or an object with one per limit
   * (`{ user: 'u42', org: 'acme' }`).
   * @default the client address (see `trustProxy`, `ipv6Subnet`)
   */
  key?: (req: Req) => MaybePromise<RequestKeys>;
  /** Units the request spends: a positive whole number, at most the policy's limit. @default 1 */
  cost?: (req: Req) => MaybePromise<number>;
  /** Return true to let a request through uncounted and without rate-limit headers. */
  skip?: (req: Req) => MaybePromise<boolean>;
  /**
   * Whether an admitted request counts, asked once its response has been sent
   * (or the client went away): return false to give back what it spent, with
   * `limiter.refund`. Count only failures with `(res) => res.statusCode >= 400`
   * (express-rate-limit's `skipSuccessfulRequests`), only successes with
   * `< 400` (`skipFailedRequests`). What it throws or rejects is logged
   * (`FG_HTTP_COUNT_RESPONSE_FAILED`) and the request stays counted.
   * @default every admitted request counts
   */
  countResponse?: (res: Res) => MaybePromise<boolean>;
  /** Rate-limit headers on every response: `'draft-10'`, `'legacy'`, `'both'` or `false`. @default 'draft-10' */
  headers?: HeadersMode;
  /**
   * The name of the limiter's item in `RateLimit-Policy`, `RateLimit` and the
   * 429's `violated-policies`; with a set of limits, the prefix of each
   * limit's item (`"api.perUser"`).
   * @default the limit names ('default' for a limiter with one `policy`)
   */
  policyName?: string;
  /**
   * Proxies allowed to name the client through `proxyHeader`: a hop count or
   * a list of addresses/CIDRs. Unset, only the socket address counts.
   * @default undefined (trust no proxy; warn once if a proxy header arrives)
   */
  trustProxy?: TrustProxy;
  /** The header trusted proxies set: `'x-forwarded-for'`, `'forwarded'` (RFC 7239) or `'x-real-ip'`. @default 'x-forwarded-for' */
  proxyHeader?: ProxyHeader;
  /** Prefix length that groups IPv6 clients into one key (1–128), or `false` for one key per address. @default 64 */
  ipv6Subnet?: number | false;
  /**
   * The longest a leaky-bucket request may be held before it is served, in
   * ms. A request that would wait longer is refused (429 with `Retry-After`)
   * instead of being held: few clients, proxies or load balancers wait that
   * long (nginx's `proxy_read_timeout` and many load balancers' idle timeouts
   * are 60 s). A whole number >= 0 (0: never hold), or `Infinity`.
   * @default 60_000
   */
  maxDelayMs?: number;
  /** Receives run-time findings (see docs/errors.md, `FG_HTTP_*`). @default console */
  logger?: Logger;
  /** Set to false to turn the run-time checks off. @default true */
  validate?: boolean;
}

/** The option names of {@link HttpOptions}, checked against the interface by the compiler. */
export const HTTP_OPTION_KEYS = [
  'limiter',
  'key',
  'cost',
  'skip',
  'countResponse',
  'headers',
  'policyName',
  'trustProxy',
  'proxyHeader',
  'ipv6Subnet',
  'maxDelayMs',
  'logger',
  'validate',
] as const satisfies readonly (keyof HttpOptions<unknown, unknown>)[];
