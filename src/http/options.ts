import type { RateLimiter } from '../limiter.js';
import type { ProxyHeader } from './forwarded.js';
import type { HeadersMode } from './headers.js';
import type { TrustProxy } from './trust.js';
import type { Logger } from './validation.js';

/** A value, or a promise of it: key, cost and skip functions may be async. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Options every adapter accepts. `Req` is the framework's request (Express
 * `Request`, Fastify `FastifyRequest`, Hono `Context`, node `IncomingMessage`).
 */
export interface HttpOptions<Req> {
  /** The limiter that decides each request. Create it once, at start-up. */
  limiter: RateLimiter;
  /**
   * The rate-limit key of a request, e.g. a user or API-key id.
   * @default the client address (see `trustProxy`, `ipv6Subnet`)
   */
  key?: (req: Req) => MaybePromise<string>;
  /** Units the request spends: a positive whole number, at most the policy's limit. @default 1 */
  cost?: (req: Req) => MaybePromise<number>;
  /** Return true to let a request through uncounted and without rate-limit headers. */
  skip?: (req: Req) => MaybePromise<boolean>;
  /** Rate-limit headers on every response: `'draft-10'`, `'legacy'`, `'both'` or `false`. @default 'draft-10' */
  headers?: HeadersMode;
  /** The policy name in `RateLimit-Policy`, `RateLimit` and the 429's `violated-policies`. @default 'default' */
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
  'headers',
  'policyName',
  'trustProxy',
  'proxyHeader',
  'ipv6Subnet',
  'maxDelayMs',
  'logger',
  'validate',
] as const satisfies readonly (keyof HttpOptions<unknown>)[];
