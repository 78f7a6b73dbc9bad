import type { Decision } from './policies/decision.js';
import type { IssueList } from './policies/errors.js';

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
  /** The cost that was denied: other costs have other waits, so only this one is answered. */
  readonly cost: number;
  readonly denial: Decision;
}

/**
 * Remembers, in this process, each key's last denial until its
 * `retryAfterMs` has passed, so a client hammering a blocked key costs no
 * round trip to the store. It only ever answers with denials the store made,
 * for the same cost, with `retryAfterMs` and `resetMs` reduced by the time
 * elapsed since (`remaining` is as of the store's denial): it can never admit
 * what the store would deny. Capacity only comes back with time (other
 * processes only consume), except through `reset`, which forgets the key here
 * too.
 */
export class DenialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxKeys: number,
    private readonly clock: () => number,
  ) {}

  /** A denial for `cost` units of `id` still known to hold now, or undefined. */
  get(id: string, cost: number): Decision | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const now = this.clock();
    // A clock that went backwards cannot be trusted to measure the wait: ask the store.
    if (now >= entry.untilMs || now < entry.atMs) {
      this.entries.delete(id);
      return undefined;
    }
    if (cost !== entry.cost) return undefined;
    const elapsed = Math.ceil(now - entry.atMs);
    const { denial } = entry;
    return {
      allowed: false,
      limit: denial.limit,
      remaining: denial.remaining,
      resetMs: Math.max(0, denial.resetMs - elapsed),
      retryAfterMs: Math.max(1, denial.retryAfterMs - elapsed),
      delayMs: 0,
      degraded: false,
    };
  }

  /**
   * Records what the store decided for `cost` units of `id`: a denial is kept,
   * anything else forgets the key (an admission changed its state).
   */
  remember(id: string, cost: number, decided: Decision): void {
    this.entries.delete(id);
    if (decided.allowed || decided.degraded || decided.retryAfterMs <= 0) return;
    const atMs = this.clock();
    if (this.entries.size >= this.maxKeys) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, { atMs, untilMs: atMs + decided.retryAfterMs, cost, denial: decided });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
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
