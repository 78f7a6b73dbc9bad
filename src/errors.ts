/**
 * Errors users can act on. Every error has a stable `code`; the message names
 * the option, the value received and what would be valid. Each code has a
 * section in docs/errors.md.
 */

export type ErrorCode =
  | 'FG_UNKNOWN_OPTION'
  | 'FG_OPTIONS_NOT_OBJECT'
  | 'FG_LIMIT_INVALID'
  | 'FG_WINDOW_INVALID'
  | 'FG_DURATION_UNPARSABLE'
  | 'FG_CAPACITY_INVALID'
  | 'FG_RATE_INVALID'
  | 'FG_RATE_TOO_FINE'
  | 'FG_RANGE_UNSAFE'
  | 'FG_POLICY_INVALID'
  | 'FG_STORE_INVALID'
  | 'FG_PREFIX_INVALID'
  | 'FG_ON_STORE_ERROR_INVALID'
  | 'FG_TIMEOUT_INVALID'
  | 'FG_CLOCK_INVALID'
  | 'FG_CLOCK_OUT_OF_RANGE'
  | 'FG_MAX_KEYS_INVALID'
  | 'FG_SHARDS_INVALID'
  | 'FG_KEY_INVALID'
  | 'FG_COST_INVALID'
  | 'FG_COST_EXCEEDS_LIMIT'
  | 'FG_COST_RECORD_INVALID'
  | 'FG_STORE_TIMEOUT'
  | 'FG_STORE_OVERLOADED'
  | 'FG_STORE_CONNECTION_LOST'
  | 'FG_STORE_REQUEST_FAILED'
  | 'FG_STORE_DEGRADED'
  | 'FG_STORE_RECOVERED'
  | 'FG_MODE_INVALID'
  | 'FG_NAME_INVALID'
  | 'FG_LOGGER_INVALID'
  | 'FG_HASH_TAG_INVALID'
  | 'FG_LIMITS_INVALID'
  | 'FG_LIMIT_NAME_INVALID'
  | 'FG_MAX_IN_FLIGHT_INVALID'
  | 'FG_ENCODING_INVALID'
  | 'FG_REDIS_CLIENT_INVALID'
  | 'FG_DENIAL_CACHE_INVALID'
  | 'FG_EXPIRY_MARGIN_INVALID'
  | 'FG_LIMITER_INVALID'
  | 'FG_TRUST_PROXY_INVALID'
  | 'FG_PROXY_HEADER_INVALID'
  | 'FG_IPV6_SUBNET_INVALID'
  | 'FG_HEADERS_INVALID'
  | 'FG_POLICY_NAME_INVALID'
  | 'FG_HTTP_OPTION_INVALID'
  | 'FG_HTTP_PROXY_HEADER_UNTRUSTED'
  | 'FG_HTTP_CREATED_IN_REQUEST'
  | 'FG_HTTP_DOUBLE_COUNT'
  | 'FG_HTTP_NO_ADDRESS'
  | 'FG_SIM_OPTION_INVALID'
  | 'FG_SIM_TRACE_INVALID'
  | 'FG_SIM_TRACE_SECONDS'
  | 'FG_SIM_OUT_UNWRITABLE'
  | 'FG_HTTP_PROXY_HEADER_MALFORMED'
  | 'FG_HTTP_KEY_INVALID'
  | 'FG_HTTP_MISWIRED'
  | 'FG_MAX_DELAY_INVALID'
  | 'FG_METER_INVALID'
  | 'FG_REGISTRY_INVALID'
  | 'FG_METRICS_ALREADY_REGISTERED'
  | 'FG_NEAR_LIMIT_SHARE_INVALID'
  | 'FG_METRICS_LIMITERS_INVALID'
  | 'FG_DURATION_BUCKETS_INVALID'
  | 'FG_HTTP_COUNT_RESPONSE_FAILED'
  | 'FG_HTTP_POLICY_NAME_COLLISION'
  | 'FG_HTTP_NO_CLIENT_ADDRESS'
  | 'FG_SERVE_CONFIG_INVALID'
  | 'FG_SERVE_CONFIG_UNREADABLE'
  | 'FG_SERVE_REQUEST_INVALID';

const DOCS = 'docs/errors.md';

/** Where the explanation of `code` lives. */
export function errorDocs(code: ErrorCode): string {
  return `${DOCS}#${code.toLowerCase()}`;
}

/** One configuration mistake. */
export interface ConfigIssue {
  readonly code: ErrorCode;
  /** Dotted path of the option, e.g. `tokenBucket.capacity`. */
  readonly option: string;
  readonly received: unknown;
  /** What would have been valid, in words. */
  readonly expected: string;
}

/** Renders a received value the way a user would have typed it. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `a function`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function describe(issue: ConfigIssue): string {
  return `${issue.option}: received ${show(issue.received)}, expected ${issue.expected} [${issue.code}, see ${errorDocs(issue.code)}]`;
}

/**
 * Thrown at construction when options are wrong. It lists every mistake at
 * once, so a user fixes the configuration in one pass; `code` is the first
 * mistake's code and `issues` holds them all.
 */
export class FlowgateConfigError extends TypeError {
  readonly code: ErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const [first] = issues;
    if (!first) throw new Error('FlowgateConfigError needs at least one issue');
    const message =
      issues.length === 1
        ? describe(first)
        : `${issues.length} problems in flowgate options:\n${issues.map((i) => `  - ${describe(i)}`).join('\n')}`;
    super(message);
    this.name = 'FlowgateConfigError';
    this.code = first.code;
    this.issues = issues;
  }
}

/** Thrown (as a rejected promise) for a bad argument to `limit`, `peek` or `reset`. */
export class FlowgateArgumentError extends TypeError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(`${message} [${code}, see ${errorDocs(code)}]`);
    this.name = 'FlowgateArgumentError';
    this.code = code;
  }
}

/** A cost that no state of the key could ever admit. */
export class FlowgateRangeError extends RangeError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(`${message} [${code}, see ${errorDocs(code)}]`);
    this.name = 'FlowgateRangeError';
    this.code = code;
  }
}

/** Collects issues while validating an options object, then throws them together. */
export class IssueList {
  readonly issues: ConfigIssue[] = [];

  add(code: ErrorCode, option: string, received: unknown, expected: string): void {
    this.issues.push({ code, option, received, expected });
  }

  /** Reports every key of `options` that is not in `known`. */
  unknownKeys(scope: string, options: object, known: readonly string[]): void {
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) {
        this.add(
          'FG_UNKNOWN_OPTION',
          optionPath(scope, key),
          (options as Record<string, unknown>)[key],
          `no such option${suggestion(key, known)}; valid options are ${known.join(', ')}`,
        );
      }
    }
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new FlowgateConfigError(this.issues);
  }
}

/**
 * `scope.key` for a key that reads as a name, `scope["key"]` (JSON-quoted) for
 * any other: a key can come from a user's object or a config file, and a raw
 * line break or quote in it would forge lines or fields of the message.
 */
export function optionPath(scope: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${scope}.${key}` : `${scope}[${JSON.stringify(key)}]`;
}
const PLAIN_KEY = /^[A-Za-z0-9_.$-]{1,64}$/;

/** Checks that `options` is a plain object; records an issue and returns false otherwise. */
export function isOptionsObject(issues: IssueList, scope: string, options: unknown): options is object {
  if (typeof options === 'object' && options !== null && !Array.isArray(options)) return true;
  issues.add('FG_OPTIONS_NOT_OBJECT', scope, options, 'an options object');
  return false;
}

/** `; did you mean "x"?` for a key one or two edits away from a known option. */
function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
