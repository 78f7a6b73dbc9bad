import type { StoreCost } from './costs.js';
import type { IssueList } from './errors.js';
import type { Gate } from './gate.js';
import type { Decision } from './policies/decision.js';
import type { SetDecision } from './policies/limit-set.js';
import type { Refund } from './policies/policy.js';

/** Options of the denial near-cache (`RateLimiter` option `denialCache`). */
export interface DenialCacheOptions {
  /** Most keys remembered; past it the oldest entry is forgotten. @default 10_000 */
  maxKeys?: number;
}

const KNOWN = ['maxKeys'] as const satisfies readonly (keyof DenialCacheOptions)[];

/** Largest `maxKeys`: a Map of this many entries is still a few hundred MB at most. */
const MAX_DENIAL_KEYS = 10_000_000;
const DEFAULT_DENIAL_KEYS = 10_000;

interface Entry {
  /** Clock time (ms) of the store's denial. */
  readonly atMs: number;
  /** Clock time (ms) from which the store may admit again. */
  readonly untilMs: number;
  /** The cost that was denied (see costId): other costs have other waits, so only this one is answered. */
  readonly cost: number | string;
  readonly denial: Decision;
  /** For a set: each limit's key (see partsOf). */
  readonly parts: readonly string[] | undefined;
}

/** The decisions answered from a cache, not by the store (they say nothing of its health). */
const fromCache = new WeakSet<Decision>();

/** Whether `decided` came from a denial cache rather than from the store. */
export function isCachedDenial(decided: Decision): boolean {
  return fromCache.has(decided);
}

/** A denial `elapsedMs` later: the same, with its waits shortened (never below 1 ms to retry). */
function later(denial: Decision, elapsedMs: number): Decision {
  const limits = (denial as Partial<SetDecision>).limits;
  const shifted: Decision & { limits?: Record<string, Decision> } = {
    ...denial,
    resetMs: Math.max(0, denial.resetMs - elapsedMs),
    retryAfterMs: denial.allowed ? 0 : Math.max(1, denial.retryAfterMs - elapsedMs),
    atMs: denial.atMs + elapsedMs,
  };
  if (limits !== undefined) {
    const each: Record<string, Decision> = {};
    for (const [name, d] of Object.entries(limits)) each[name] = later(d, elapsedMs);
    shifted.limits = each;
  }
  return shifted;
}

/**
 * Remembers, in this process, each key's last denial until its
 * `retryAfterMs` has passed, so a client hammering a blocked key costs no
 * round trip to the store. It only ever answers with denials the store made,
 * for the same cost, with `retryAfterMs` and `resetMs` reduced by the time
 * elapsed since (`remaining` is as of the store's denial): it can never admit
 * what the store would deny. Capacity only comes back with time (other
 * processes only consume), except through `reset` and `refund`, which forget
 * the key here too.
 */
export class DenialCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * For limit sets: the cached denials each limit's key takes part in, so
   * that a refund or reset of one request forgets every denial that counted
   * on that limit (another user's request denied by the same org key).
   */
  private readonly byPart = new Map<string, Set<string>>();

  constructor(
    readonly maxKeys: number,
    private readonly clock: () => number,
  ) {}

  /** A denial for `cost` units of `id` still known to hold now, or undefined. */
  get(id: string, cost: number | string): Decision | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const now = this.clock();
    // A clock that went backwards cannot be trusted to measure the wait: ask the store.
    if (now >= entry.untilMs || now < entry.atMs) {
      this.drop(id);
      return undefined;
    }
    if (cost !== entry.cost) return undefined;
    const answer = later(entry.denial, Math.ceil(now - entry.atMs));
    fromCache.add(answer);
    return answer;
  }

  /**
   * Records what the store decided for `cost` units of `id` (whose limits'
   * keys are `parts`, for a set): a denial is kept, anything else forgets
   * the key (an admission changed its state).
   */
  remember(id: string, cost: number | string, decided: Decision, parts?: readonly string[]): void {
    this.drop(id);
    if (decided.allowed || decided.degraded || decided.retryAfterMs <= 0) return;
    const atMs = this.clock();
    if (this.entries.size >= this.maxKeys) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.drop(oldest.value);
    }
    this.entries.set(id, { atMs, untilMs: atMs + decided.retryAfterMs, cost, denial: decided, parts });
    if (parts !== undefined) {
      for (const part of parts) {
        const ids = this.byPart.get(part);
        if (ids === undefined) this.byPart.set(part, new Set([id]));
        else ids.add(id);
      }
    }
  }

  /** Forgets `id`, and with `parts` every denial that involved one of those limits' keys. */
  forget(id: string, parts?: readonly string[]): void {
    this.drop(id);
    if (parts === undefined) return;
    for (const part of parts) {
      const ids = this.byPart.get(part);
      if (ids !== undefined) for (const other of [...ids]) this.drop(other);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    if (entry.parts === undefined) return;
    for (const part of entry.parts) {
      const ids = this.byPart.get(part);
      ids?.delete(id);
      if (ids?.size === 0) this.byPart.delete(part);
    }
  }
}

/** The denial cache as a decorator of the limiter's path to its store. */
export class DenialCacheGate implements Gate {
  readonly synchronous: boolean;

  constructor(
    private readonly inner: Gate,
    private readonly cache: DenialCache,
  ) {
    this.synchronous = inner.synchronous === true;
  }

  limit(keys: readonly string[], storeCost: StoreCost, deadline: number): Decision | Promise<Decision> {
    const id = idOf(keys);
    const cost = costId(storeCost);
    const cached = this.cache.get(id, cost);
    if (cached !== undefined) return cached;
    const answer = this.inner.limit(keys, storeCost, deadline);
    const parts = partsOf(keys);
    if (!(answer instanceof Promise)) {
      this.cache.remember(id, cost, answer, parts);
      return answer;
    }
    return answer.then((decided) => {
      this.cache.remember(id, cost, decided, parts);
      return decided;
    });
  }

  peek(keys: readonly string[], deadline: number): Decision | Promise<Decision> {
    return this.cache.get(idOf(keys), 1) ?? this.inner.peek(keys, deadline);
  }

  refund(
    keys: readonly string[],
    refunds: readonly (Refund | undefined)[],
    deadline: number,
  ): undefined | Promise<void> {
    this.cache.forget(idOf(keys), partsOf(keys));
    return this.inner.refund(keys, refunds, deadline);
  }

  reset(keys: readonly string[], deadline: number): undefined | Promise<void> {
    this.cache.forget(idOf(keys), partsOf(keys));
    return this.inner.reset(keys, deadline);
  }
}

/** For a set: each limit's key, by position (limit i's key `k` is `i:k`); undefined for one limit. */
function partsOf(keys: readonly string[]): readonly string[] | undefined {
  return keys.length === 1 ? undefined : keys.map((key, i) => `${i}:${key}`);
}

/** A request's cost as the cache compares it: the number, or per-limit costs joined (never equal to a number). */
function costId(cost: StoreCost): number | string {
  return typeof cost === 'number' ? cost : cost.join(',');
}

/** One id per request's keys (a JSON array for a set, so no two key lists share one). */
function idOf(keys: readonly string[]): string {
  return keys.length === 1 ? (keys[0] as string) : JSON.stringify(keys);
}

/** Validates the `denialCache` option; returns its `maxKeys`, 0 when off, or undefined after recording an issue. */
export function denialCacheSize(issues: IssueList, option: string, value: unknown): number | undefined {
  if (value === undefined || value === false) return 0;
  if (value === true) return DEFAULT_DENIAL_KEYS;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    issues.unknownKeys(option, value, KNOWN);
    const { maxKeys } = value as DenialCacheOptions;
    if (maxKeys === undefined) return DEFAULT_DENIAL_KEYS;
    if (typeof maxKeys === 'number' && Number.isInteger(maxKeys) && maxKeys >= 1 && maxKeys <= MAX_DENIAL_KEYS) {
      return maxKeys;
    }
    issues.add('FG_DENIAL_CACHE_INVALID', `${option}.maxKeys`, maxKeys, `a whole number from 1 to ${MAX_DENIAL_KEYS}`);
    return undefined;
  }
  issues.add('FG_DENIAL_CACHE_INVALID', option, value, 'true, false, or an object { maxKeys }');
  return undefined;
}
