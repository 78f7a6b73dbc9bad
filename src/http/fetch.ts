import { FlowgateArgumentError, IssueList } from '../errors.js';
import { HttpLimiter, type Verdict } from './core.js';
import type { HeaderBag } from './forwarded.js';
import { holdUntil } from './hold.js';
import type { HttpOptions, RateLimitInfo } from './options.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { proxyHeaders } from './request-headers.js';
import { optionsMistake } from './wiring.js';

export * from './adapter-exports.js';

/** Options of the fetch handler. `countResponse` receives the `Response` given to `respond`. */
export interface FetchRateLimitOptions extends HttpOptions<Request, Response> {
  /**
   * Called on every denial. Return a `Response` to send instead of the
   * default 429 problem+json (the rate-limit headers are added to it);
   * return nothing to keep the default.
   */
  onLimited?: (request: Request, decision: RateLimitInfo) => Response | undefined | Promise<Response | undefined>;
}

/** What the runtime knows of the connection: the client's address (Bun `server.requestIP`, Deno `info.remoteAddr`). */
export interface ConnectionInfo {
  address?: string;
}

/**
 * The handler: `await limit(request, info)` is a `Response` (429, or 503
 * when the store is down and `onStoreError` is `'deny'`) to return at once,
 * or `undefined` to go on; then pass the eventual response through
 * `limit.respond(request, response)`, which adds the rate-limit headers.
 */
export interface FetchRateLimit {
  (request: Request, info?: ConnectionInfo): Promise<Response | undefined>;
  /** The rate-limit headers of a decided request (empty if it was skipped or not seen). */
  headersFor(request: Request): Headers;
  /** The decision of a decided request. */
  decisionFor(request: Request): RateLimitInfo | undefined;
  /**
   * Adds the rate-limit headers to `response` and asks `countResponse`
   * whether the request counts. Returns `response`, or a copy of it when its
   * headers are immutable (a response from `fetch()`).
   */
  respond(request: Request, response: Response): Response;
}

interface Decided {
  verdict: Verdict;
  headers: Headers;
}

function setHeader(headers: Headers, name: string, value: string): void {
  headers.set(name, value);
}

/** A placeholder for the nearest proxy, whose address a fetch runtime does not give; trusted by hop count. */
const UNKNOWN_PROXY = '0.0.0.0';

/**
 * Rate limiting for fetch-standard runtimes: Next.js middleware / `proxy.ts`
 * on the Node runtime, Bun.serve, Deno.serve, Cloudflare Workers, and any
 * framework built on `Request` and `Response`. A `Request` carries no
 * client address, so say where it comes from: `trustProxy: false` and
 * `info.address` on each call, or `trustProxy` naming the proxies whose
 * header names the client, or your own `key`. Without any of them the
 * limiter would lump every client together, so it refuses to start
 * (`FG_HTTP_NO_CLIENT_ADDRESS`).
 *
 * @example
 * import { RateLimiter, tokenBucket } from 'flowgate';
 * import { rateLimit } from 'flowgate/fetch';
 *
 * const limit = rateLimit({
 *   limiter: new RateLimiter({ policy: tokenBucket({ capacity: 10, refillPerSecond: 1 }) }),
 *   trustProxy: false,
 * });
 * Bun.serve({
 *   async fetch(request, server) {
 *     const refused = await limit(request, { address: server.requestIP(request)?.address });
 *     if (refused) return refused;
 *     return limit.respond(request, new Response('hello'));
 *   },
 * });
 */
export function rateLimit(options: FetchRateLimitOptions): FetchRateLimit {
  const scope = 'flowgate/fetch rateLimit';
  const mistake = optionsMistake(scope, options);
  if (mistake) throw mistake;
  const core = new HttpLimiter<Request, Response>(options, scope, ['onLimited']);
  const { onLimited, trustProxy, key } = options;
  const issues = new IssueList();
  if (onLimited !== undefined && typeof onLimited !== 'function') {
    issues.add('FG_HTTP_OPTION_INVALID', `${scope}.onLimited`, onLimited, 'a function (request, decision)');
  }
  if (trustProxy === undefined && key === undefined) {
    issues.add(
      'FG_HTTP_NO_CLIENT_ADDRESS',
      `${scope}.trustProxy`,
      trustProxy,
      'where the client address comes from, since a fetch Request has none: false to pass info.address on ' +
        'each call (Bun, Deno), a hop count or proxy addresses to read it from X-Forwarded-For (behind a proxy, ' +
        'Next.js), or a key(request) option instead',
    );
  }
  issues.throwIfAny();
  const proxyHeader = options.proxyHeader ?? 'x-forwarded-for';
  const byHops = typeof trustProxy === 'number' && trustProxy > 0;
  const decided = new WeakMap<Request, Decided>();

  /** The socket address to start from: the runtime's, or (trusted by hop count) a stand-in for the proxy. */
  const addressOf = (info: ConnectionInfo | undefined, headers: HeaderBag): string | undefined => {
    if (info?.address !== undefined || key !== undefined) return info?.address;
    if (byHops && headers[proxyHeader] !== undefined) return UNKNOWN_PROXY;
    throw new FlowgateArgumentError(
      'FG_HTTP_NO_CLIENT_ADDRESS',
      `${scope}: the request came without info.address${byHops ? ` and without a ${proxyHeader} header` : ''}, so ` +
        'its client is unknown. Pass the address the runtime gives (limit(request, { address })), or set ' +
        'trustProxy to the proxies that name the client.',
    );
  };

  const limit = async function rateLimitFetch(request: Request, info?: ConnectionInfo): Promise<Response | undefined> {
    const headers = proxyHeaders(request.headers);
    const pending = core.decide(request, addressOf(info, headers), headers, request);
    const verdict = pending instanceof Promise ? await pending : pending;
    if (verdict === undefined) return undefined;
    const rateHeaders = new Headers();
    core.writeHeaders(verdict, rateHeaders, setHeader, request);
    decided.set(request, { verdict, headers: rateHeaders });
    const decision = verdict.decision;
    if (!decision.allowed) {
      const replaced = onLimited === undefined ? undefined : await onLimited(request, decision);
      if (replaced instanceof Response) return withHeaders(replaced, rateHeaders);
      rateHeaders.set('Content-Type', PROBLEM_CONTENT_TYPE);
      return new Response(core.problemBody(verdict), { status: core.status(verdict), headers: rateHeaders });
    }
    // 499 (client closed request) is never seen: the client has gone.
    if (decision.delayMs > 0 && !(await holdUntil(request.signal, decision.delayMs))) {
      return new Response(null, { status: 499 });
    }
    return undefined;
  } as FetchRateLimit;

  limit.headersFor = (request) => new Headers(decided.get(request)?.headers);
  limit.decisionFor = (request) => decided.get(request)?.verdict.decision;
  limit.respond = (request, response) => {
    const found = decided.get(request);
    if (found === undefined) return response;
    const out = withHeaders(response, found.headers);
    core.settle(found.verdict, out);
    return out;
  };
  return limit;
}

/** `response` with `headers` added (to a copy when its headers are immutable). */
function withHeaders(response: Response, headers: Headers): Response {
  let out = response;
  try {
    for (const [name, value] of headers) out.headers.set(name, value);
  } catch {
    out = new Response(response.body, response);
    for (const [name, value] of headers) out.headers.set(name, value);
  }
  return out;
}
