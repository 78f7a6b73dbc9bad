import { type DenialCacheOptions, denialCacheSize } from './denial-cache.js';
import { IssueList, isOptionsObject, optionPath } from './errors.js';
import type { StoreErrorPolicy } from './failure.js';
import type { LimitSpec } from './policies/limit-set.js';
import type { Policy } from './policies/policy.js';
import { positiveInteger } from './policies/validate.js';
import type { Store } from './stores/store.js';

/** Where a limiter reports what an operator should know once (a store outage and its recovery). */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/** `'enforce'` denies what the policy denies; `'shadow'` evaluates and reports, but never denies. */
export type LimitMode = 'enforce' | 'shadow';

/** One limit of a set, with its mode. */
export interface LimitConfig {
  policy: Policy;
  /** @default 'enforce' */
  mode?: LimitMode;
}

/**
 * Internal, for `flowgate serve` (not exported from the package): a limiter
 * whose options carry this key set to true names its limits' state by
 * prefix, algorithm, unit and key only, not by limit name (see
 * `StoreBinding.sharedState`), so the sets it builds per request shape share
 * each rule's state with every other shape, on memory as on Redis.
 */
export const SHARED_STATE: unique symbol = Symbol('flowgate.sharedState');

/** Options of {@link RateLimiter}: one `policy`, or a set of named `limits` decided all or nothing. */
export interface RateLimiterOptions<Name extends string = never> {
  /** The algorithm and its limit, from `fixedWindow`, `slidingLog`, `slidingWindow`, `tokenBucket` or `leakyBucket`. */
  policy?: Policy;
  /**
   * Several named limits on one request, instead of `policy`: a request is
   * admitted only if every enforced limit admits it, and a denied request
   * spends nothing in any of them. Each is a policy, or `{ policy, mode }`.
   */
  limits?: Readonly<Record<Name, Policy | LimitConfig>>;
  /** Where state lives. @default new MemoryStore() */
  store?: Store;
  /** Key namespace, so several limiters can share a store. @default 'flowgate' */
  prefix?: string;
  /** The limiter's name in events, metrics and log lines. @default the prefix */
  name?: string;
  /**
   * What a store error or timeout decides: `'allow'` (fail open), `'deny'`
   * (fail closed) or `'throw'` (reject the promise). Decisions made this way
   * carry `degraded: true`.
   * @default 'allow'
   */
  onStoreError?: StoreErrorPolicy;
  /**
   * A store call slower than this many ms counts as a store error (whole ms up
   * to 2^31 - 1, or `Infinity`). A Redis call that reaches the server later
   * commits nothing.
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * Milliseconds since the epoch. Given explicitly, a Redis store uses it
   * instead of the server's `TIME` (tests, simulation). @default Date.now
   */
  clock?: () => number;
  /**
   * Split each limit into this many sub-keys (of `limit / shards` each) so a
   * hot key spreads over the nodes of a Redis Cluster. @default 1
   */
  shards?: number;
  /**
   * Remember each denial in this process until its `retryAfterMs` has passed
   * (by `clock`), so a client hammering a blocked key costs no store round
   * trip. It only ever answers with denials, never admits what the store
   * would deny; `true` holds up to 10 000 keys, `{ maxKeys }` sets the bound.
   * @default false
   */
  denialCache?: boolean | DenialCacheOptions;
  /**
   * Receives one line when a store outage starts (the first decision made by
   * `onStoreError`) and one when it ends; never one per request. `false` for
   * none. @default console
   */
  logger?: Logger | false;
  /** `'shadow'`: evaluate and report every limit, never deny. @default 'enforce' */
  mode?: LimitMode;
  /**
   * Redis Cluster: one hash tag for every key of this limiter, so each
   * request's limits (a set with different keys per limit) are decided
   * atomically by one script, at the price of putting the whole limiter on
   * one slot.
   */
  hashTag?: string;
}

/** The options as validated and used: each read once from the user's object. */
export interface ResolvedOptions {
  readonly limits: readonly LimitSpec[];
  /** Whether the limiter was built with `limits` (its decisions then carry `limits` and `violated`). */
  readonly isSet: boolean;
  readonly store: Store | undefined;
  readonly prefix: string;
  readonly name: string;
  readonly onStoreError: StoreErrorPolicy;
  readonly timeoutMs: number;
  readonly clock: (() => number) | undefined;
  readonly shards: number;
  readonly denialKeys: number;
  readonly logger: Logger | undefined;
  readonly hashTag: string | undefined;
  /** See {@link SHARED_STATE}. */
  readonly sharedState: boolean;
}

const KNOWN = [
  'policy',
  'limits',
  'store',
  'prefix',
  'name',
  'onStoreError',
  'timeoutMs',
  'clock',
  'shards',
  'denialCache',
  'logger',
  'mode',
  'hashTag',
] as const satisfies readonly (keyof RateLimiterOptions<string>)[];

const STORE_ERROR_POLICIES: readonly StoreErrorPolicy[] = ['allow', 'deny', 'throw'];
const MODES: readonly LimitMode[] = ['enforce', 'shadow'];
/** The longest delay a Node timer takes; a longer one fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Limit names appear in headers (Structured Field Strings), metrics and Redis keys: kept simple. */
const LIMIT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Validates a `RateLimiter`'s options, listing every mistake at once, and resolves the defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const issues = new IssueList();
  if (isPolicy(options)) {
    issues.add(
      'FG_OPTIONS_NOT_OBJECT',
      'RateLimiter',
      options,
      `an options object with the policy in it: new RateLimiter({ policy: ${options.algorithm.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}(…) })`,
    );
    issues.throwIfAny();
  }
  if (!isOptionsObject(issues, 'RateLimiter', options)) issues.throwIfAny();
  const o = options as RateLimiterOptions<string>;
  issues.unknownKeys('RateLimiter', o, KNOWN);
  // Read every option once: a getter cannot hand validation one value and the limiter another.
  const {
    policy,
    limits,
    store,
    prefix,
    name,
    onStoreError,
    timeoutMs,
    clock,
    shards,
    denialCache,
    logger,
    mode,
    hashTag,
  } = o;
  const shadowAll = mode === 'shadow';
  if (mode !== undefined && !MODES.includes(mode)) {
    issues.add('FG_MODE_INVALID', 'RateLimiter.mode', mode, `'enforce' or 'shadow'`);
  }
  const specs = limitSpecs(issues, policy, limits, shadowAll);
  if (store !== undefined && typeof (store as Partial<Store>)?.bind !== 'function') {
    issues.add(
      'FG_STORE_INVALID',
      'RateLimiter.store',
      store,
      'a store such as new MemoryStore() or new RedisStore({ client })',
    );
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length === 0)) {
    issues.add('FG_PREFIX_INVALID', 'RateLimiter.prefix', prefix, 'a non-empty string');
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    issues.add('FG_NAME_INVALID', 'RateLimiter.name', name, 'a non-empty string');
  }
  if (onStoreError !== undefined && !STORE_ERROR_POLICIES.includes(onStoreError)) {
    issues.add(
      'FG_ON_STORE_ERROR_INVALID',
      'RateLimiter.onStoreError',
      onStoreError,
      `one of 'allow', 'deny', 'throw'`,
    );
  }
  if (
    timeoutMs !== undefined &&
    !(
      typeof timeoutMs === 'number' &&
      ((Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS) || timeoutMs === Infinity)
    )
  ) {
    issues.add(
      'FG_TIMEOUT_INVALID',
      'RateLimiter.timeoutMs',
      timeoutMs,
      `a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (about 24.8 days), or Infinity`,
    );
  }
  if (clock !== undefined && typeof clock !== 'function') {
    issues.add('FG_CLOCK_INVALID', 'RateLimiter.clock', clock, 'a function returning milliseconds since the epoch');
  }
  if (shards !== undefined) {
    const smallest = specs.length > 0 ? Math.min(...specs.map((spec) => spec.policy.limit)) : undefined;
    positiveInteger(issues, 'FG_SHARDS_INVALID', 'RateLimiter.shards', shards, smallest);
  }
  const denialKeys = denialCacheSize(issues, 'RateLimiter.denialCache', denialCache) ?? 0;
  if (logger !== undefined && logger !== false && !isLogger(logger)) {
    issues.add(
      'FG_LOGGER_INVALID',
      'RateLimiter.logger',
      logger,
      'an object with warn(message) and error(message), or false',
    );
  }
  if (hashTag !== undefined && (typeof hashTag !== 'string' || hashTag.length === 0)) {
    issues.add('FG_HASH_TAG_INVALID', 'RateLimiter.hashTag', hashTag, 'a non-empty string');
  }
  issues.throwIfAny();
  const resolvedPrefix = prefix ?? 'flowgate';
  return {
    limits: specs,
    isSet: limits !== undefined,
    store,
    prefix: resolvedPrefix,
    name: name ?? resolvedPrefix,
    onStoreError: onStoreError ?? 'allow',
    timeoutMs: timeoutMs ?? 1000,
    clock,
    shards: shards ?? 1,
    denialKeys,
    logger: logger === false ? undefined : (logger ?? console),
    hashTag,
    sharedState: (options as { [SHARED_STATE]?: unknown })[SHARED_STATE] === true,
  };
}

/** The limits of a limiter: its one `policy`, or its named `limits`. */
function limitSpecs(issues: IssueList, policy: unknown, limits: unknown, shadowAll: boolean): LimitSpec[] {
  const expected = 'a policy from fixedWindow(), slidingLog(), slidingWindow(), tokenBucket() or leakyBucket()';
  if (policy !== undefined && limits !== undefined) {
    issues.add('FG_LIMITS_INVALID', 'RateLimiter.limits', limits, 'either policy or limits, not both');
    return [];
  }
  if (limits === undefined) {
    if (isPolicy(policy)) return [{ name: 'default', policy, shadow: shadowAll }];
    issues.add(
      'FG_POLICY_INVALID',
      'RateLimiter.policy',
      policy,
      `${expected} (or several as limits: { name: policy })`,
    );
    return [];
  }
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits) || Object.keys(limits).length === 0) {
    issues.add(
      'FG_LIMITS_INVALID',
      'RateLimiter.limits',
      limits,
      'an object of one or more named limits: { name: policy }',
    );
    return [];
  }
  const specs: LimitSpec[] = [];
  for (const [name, value] of Object.entries(limits)) {
    const option = optionPath('RateLimiter.limits', name);
    // __proto__ would set a decision's prototype instead of naming its entry in `limits`.
    if (!LIMIT_NAME.test(name) || name === '__proto__') {
      issues.add('FG_LIMIT_NAME_INVALID', option, name, 'a name of 1 to 64 letters, digits, _ . or -, not __proto__');
    }
    if (isPolicy(value)) {
      specs.push({ name, policy: value, shadow: shadowAll });
      continue;
    }
    if (typeof value !== 'object' || value === null || !isPolicy((value as LimitConfig).policy)) {
      issues.add('FG_POLICY_INVALID', option, value, `${expected}, or { policy, mode }`);
      continue;
    }
    issues.unknownKeys(option, value, ['policy', 'mode']);
    const { policy: limitPolicy, mode } = value as LimitConfig;
    if (mode !== undefined && !MODES.includes(mode)) {
      issues.add('FG_MODE_INVALID', `${option}.mode`, mode, `'enforce' or 'shadow'`);
    }
    specs.push({ name, policy: limitPolicy, shadow: shadowAll || mode === 'shadow' });
  }
  return specs;
}

export function isPolicy(value: unknown): value is Policy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Policy).decide === 'function' &&
    typeof (value as Policy).algorithm === 'string'
  );
}

function isLogger(value: unknown): value is Logger {
  const candidate = value as Partial<Logger> | null;
  return typeof candidate?.warn === 'function' && typeof candidate?.error === 'function';
}
