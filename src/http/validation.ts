import { type ErrorCode, errorDocs } from '../errors.js';
import type { HeaderBag, ProxyHeader } from './forwarded.js';
import { type RequestState, requestState } from './request-state.js';

/** Where the middleware reports configuration mistakes it can only see at run time. @default console */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/** Formats a run-time finding the way thrown flowgate errors are formatted. */
export function finding(code: ErrorCode, message: string): string {
  return `flowgate: ${message} [${code}, see ${errorDocs(code)}]`;
}

// Which middleware instance first decided a request with each limiter.
const firstUser = new WeakMap<object, object>();
// Keyed by logger: one report per destination, even when a new limiter is built per request.
const reportedCreatedInRequest = new WeakSet<object>();
let createdDuringDispatch = 0;

/**
 * Run-time checks, in the spirit of express-rate-limit's validations: each
 * finding is logged once per middleware (never thrown, so a false positive
 * cannot take a service down) and costs one or two comparisons per request.
 * Disabled with `validate: false`.
 */
export class RuntimeChecks {
  private warnedProxyHeader = false;
  private reportedDoubleCount = false;
  private reportedNoAddress = false;
  private reportedMalformed = false;
  private firstRequest = true;

  constructor(
    private readonly logger: Logger,
    private readonly limiter: object,
    private readonly trustProxyConfigured: boolean,
    private readonly scope: string,
  ) {
    if (firstUser.has(limiter)) {
      // A limiter that already served traffic through another middleware:
      // the middleware is being rebuilt, typically once per request.
      this.createdInRequest('a middleware instance for this limiter already handled requests');
    } else if (insideRequestDispatch()) {
      // The first such creation may be lazy initialisation; a second one is a pattern.
      createdDuringDispatch++;
      if (createdDuringDispatch > 1) this.createdInRequest('it was called while node was dispatching a request');
    }
  }

  /** Called for every request the middleware decides, before the key is computed. */
  request(headers: HeaderBag): void {
    if (this.firstRequest) {
      this.firstRequest = false;
      if (!firstUser.has(this.limiter)) firstUser.set(this.limiter, this);
    }
    if (
      !this.warnedProxyHeader &&
      !this.trustProxyConfigured &&
      (headers['x-forwarded-for'] !== undefined ||
        headers.forwarded !== undefined ||
        headers['x-real-ip'] !== undefined)
    ) {
      this.warnedProxyHeader = true;
      this.logger.warn(
        finding(
          'FG_HTTP_PROXY_HEADER_UNTRUSTED',
          `${this.scope}: a request carried X-Forwarded-For, Forwarded or X-Real-IP, but trustProxy is not set, so every ` +
            'client is identified by its socket address. Behind a reverse proxy, every client then shares the ' +
            "proxy's limit: set trustProxy to the number of proxies (e.g. 1) or their addresses. Without a proxy, " +
            'set trustProxy: false to silence this warning.',
        ),
      );
    }
  }

  /**
   * Records that `limiter` decided `key` for the request `tag`, and reports a second decision.
   * Returns the request's state, so that writing the headers need not look it up again.
   */
  decided(tag: object, limiter: object, key: string): RequestState {
    const state = requestState(tag);
    if (state.limiter === undefined) {
      state.limiter = limiter;
      state.key = key;
      return state;
    }
    const seen = [state.limiter, state.key, ...(state.more ?? [])];
    for (let i = 0; i < seen.length; i += 2) {
      if (seen[i] === limiter && seen[i + 1] === key && !this.reportedDoubleCount) {
        this.reportedDoubleCount = true;
        this.logger.error(
          finding(
            'FG_HTTP_DOUBLE_COUNT',
            `${this.scope}: the same limiter decided key ${JSON.stringify(key)} twice for one request, so each ` +
              'request spends twice. The limiter is mounted twice on this route (e.g. app.use(limit) and ' +
              'app.get(path, limit, ...)); mount it once, or give each mount its own RateLimiter.',
          ),
        );
      }
    }
    state.more = [...(state.more ?? []), limiter, key];
    return state;
  }

  /** Reports, once, a request whose socket address is unknown; such requests share the key 'unknown'. */
  noAddress(): void {
    if (this.reportedNoAddress) return;
    this.reportedNoAddress = true;
    this.logger.error(
      finding(
        'FG_HTTP_NO_ADDRESS',
        `${this.scope}: the client address of a request is unknown, so all such requests share the key "unknown". ` +
          'Pass a key(req) function, or (Hono) a getAddress(c) option for your runtime.',
      ),
    );
  }

  /**
   * Reports, once, a proxy header that was not trusted because of what the
   * walk through the trusted hops found in it. The header itself is not
   * logged: it is the client's text, of any length.
   */
  malformedProxyHeader(header: ProxyHeader, problem: string): void {
    if (this.reportedMalformed) return;
    this.reportedMalformed = true;
    this.logger.warn(
      finding(
        'FG_HTTP_PROXY_HEADER_MALFORMED',
        `${this.scope}: the ${header} header of a request was not trusted (${problem}, within the hops that ` +
          'trustProxy trusts). No proxy writes that, so either a client wrote it and trustProxy counts more ' +
          'proxies than stand in front of this server, or the proxy passes the header on without appending to it ' +
          '(nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for). Such requests are keyed by their ' +
          "socket address (the proxy's) and share one limit. Reported once.",
      ),
    );
  }

  private createdInRequest(why: string): void {
    if (reportedCreatedInRequest.has(this.logger)) return;
    reportedCreatedInRequest.add(this.logger);
    this.logger.error(
      finding(
        'FG_HTTP_CREATED_IN_REQUEST',
        `${this.scope}: rateLimit() was called inside a request handler (${why}). A limiter built per request ` +
          'starts empty every time and limits nothing. Create the RateLimiter and the middleware once, at start-up, ' +
          'and mount the middleware.',
      ),
    );
  }
}

/** Whether the current synchronous call stack runs inside node's HTTP request dispatch. */
function insideRequestDispatch(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return stack.includes('node:_http_server') || stack.includes('node:_http2_compat');
}
