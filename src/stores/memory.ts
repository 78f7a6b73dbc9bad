import { type ClockRange, clockRange, clockReading } from '../clock-range.js';
import { costOf, type StoreCost } from '../costs.js';
import { IssueList, isOptionsObject } from '../errors.js';
import type { Decision } from '../policies/decision.js';
import { combineDecisions, type LimitSpec } from '../policies/limit-set.js';
import { LogState } from '../policies/log-state.js';
import type { Policy, Refund, StateVector } from '../policies/policy.js';
import { positiveInteger } from '../policies/validate.js';
import { SlotTable } from './slot-table.js';
import type { BoundStore, Store, StoreBinding } from './store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most keys held per limiter; past it the least recently used key is
   * forgotten (and starts again at full capacity). About 100 bytes per key.
   * @default 1_000_000
   */
  maxKeys?: number;
}

const KNOWN = ['maxKeys'] as const satisfies readonly (keyof MemoryStoreOptions)[];

/** Expired keys reclaimed per write: enough to keep up with one new key per call, and bounded. */
const RECLAIM_PER_WRITE = 2;

/**
 * How long a key outlives its state before it is reclaimed. A clock that steps
 * back (an NTP correction) by up to this much still finds the state, instead
 * of a key reclaimed in the meantime that would start full again.
 */
export const RECLAIM_MARGIN_MS = 1000;

/**
 * The embedded store, and the default: state lives in this process. Bounded by
 * `maxKeys` with least-recently-used eviction; no timer per key: expired state
 * is reclaimed as the store is used.
 *
 * @example
 * const limiter = new RateLimiter({ policy, store: new MemoryStore({ maxKeys: 50_000 }) });
 */
export class MemoryStore implements Store {
  readonly maxKeys: number;
  private readonly tables: SlotTable[] = [];
  /** The tables of bindings with shared state, by prefix, algorithm and unit (see `StoreBinding.sharedState`). */
  private readonly shared = new Map<string, SlotTable>();

  constructor(options: MemoryStoreOptions = {}) {
    const issues = new IssueList();
    let maxKeys: number | undefined;
    if (isOptionsObject(issues, 'MemoryStore', options)) {
      issues.unknownKeys('MemoryStore', options, KNOWN);
      // Read once: the value checked is the value used.
      maxKeys = options.maxKeys;
      if (maxKeys !== undefined) {
        positiveInteger(issues, 'FG_MAX_KEYS_INVALID', 'MemoryStore.maxKeys', maxKeys, 2 ** 31 - 1);
      }
    }
    issues.throwIfAny();
    this.maxKeys = maxKeys ?? 1_000_000;
  }

  /** Keys held now, across every limiter using this store. */
  get size(): number {
    let size = 0;
    for (const table of this.tables) size += table.size;
    return size;
  }

  /** Forgets every key. */
  clear(): void {
    for (const table of this.tables) table.clear();
  }

  bind(binding: StoreBinding): BoundStore {
    const tables = binding.limits.map((spec) => {
      const identity = binding.sharedState === true ? stateIdentity(binding.prefix, spec.policy) : undefined;
      const found = identity === undefined ? undefined : this.shared.get(identity);
      if (found !== undefined) return found;
      const table = new SlotTable(this.maxKeys, spec.policy.stateSize);
      this.tables.push(table);
      if (identity !== undefined) this.shared.set(identity, table);
      return table;
    });
    return new MemoryBinding(tables, binding.limits, binding.clock ?? Date.now);
  }
}

/**
 * The clock a binding reclaims by: the median of its last three readings, so
 * that one call stamped far ahead (a skewed caller, a test) cannot make other
 * keys look expired and start them full again.
 */
class ReclaimClock {
  private older = Number.NEGATIVE_INFINITY;
  private old = Number.NEGATIVE_INFINITY;

  /** Records `now` and returns the median of it and the two readings before. */
  next(now: number): number {
    const a = this.older;
    const b = this.old;
    this.older = b;
    this.old = now;
    // Median of three.
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), now));
  }
}

class MemoryBinding implements BoundStore {
  readonly synchronous = true;
  private readonly single: boolean;
  /** The first limit's table and policy: a one-limit decision reads no array to find them. */
  private readonly table: SlotTable;
  private readonly policy: Policy;
  private readonly reclaimClock = new ReclaimClock();
  /** One spare state per limit, for peeks at keys the store does not hold. */
  private readonly scratch: StateVector[];
  /** The clock readings the limits count exactly at (see clock-range.ts). */
  private readonly clockRange: ClockRange;

  constructor(
    private readonly tables: readonly SlotTable[],
    private readonly specs: readonly LimitSpec[],
    private readonly clock: () => number,
  ) {
    this.single = specs.length === 1;
    this.table = tables[0] as SlotTable;
    this.policy = (specs[0] as LimitSpec).policy;
    this.clockRange = clockRange(specs);
    this.scratch = specs.map((spec) =>
      spec.policy.stateSize === 0 ? new LogState() : new Float64Array(spec.policy.stateSize),
    );
  }

  limit(keys: readonly string[], cost: StoreCost): Decision {
    // Two small methods rather than one: the compiler inlines the one-limit path whole.
    return this.single ? this.limitOne(keys[0] as string, costOf(cost, 0)) : this.limitAll(keys, cost);
  }

  peek(keys: readonly string[]): Decision {
    const now = clockReading(this.clock(), this.clockRange);
    if (this.single) return this.evaluate(0, keys[0] as string, now, 1);
    const decisions = this.specs.map((_, i) => this.evaluate(i, keys[i] as string, now, 1));
    return combineDecisions(this.specs, this.settle(decisions, keys, now));
  }

  refund(keys: readonly string[], refunds: readonly (Refund | undefined)[]): undefined {
    const now = clockReading(this.clock(), this.clockRange);
    for (let i = 0; i < this.specs.length; i++) {
      const refund = refunds[i];
      const table = this.tables[i] as SlotTable;
      const slot = refund === undefined ? undefined : table.find(keys[i] as string);
      if (slot === undefined) continue;
      const policy = (this.specs[i] as LimitSpec).policy;
      policy.refund(stateOf(table), offsetOf(table, slot), now, (refund as Refund).cost, refund as Refund);
    }
    return undefined;
  }

  reset(keys: readonly string[]): undefined {
    for (let i = 0; i < this.tables.length; i++) {
      const table = this.tables[i] as SlotTable;
      const slot = table.find(keys[i] as string);
      if (slot !== undefined) table.delete(slot);
    }
    return undefined;
  }

  /** One limit: decide and commit in one step. */
  private limitOne(key: string, cost: number): Decision {
    const now = clockReading(this.clock(), this.clockRange);
    const { table } = this;
    let slot = table.use(key);
    if (slot < 0) slot = this.create(0, key);
    const result = this.policy.decide(stateOf(table), offsetOf(table, slot), now, cost, true);
    if (result.allowed) table.expiresAt[slot] = now + result.resetMs;
    table.reclaim(this.reclaimClock.next(now) - RECLAIM_MARGIN_MS, RECLAIM_PER_WRITE);
    return result;
  }

  /** Several limits, all or nothing: evaluate every one (each for its own cost), then commit to every one or to none. */
  private limitAll(keys: readonly string[], cost: StoreCost): Decision {
    const now = clockReading(this.clock(), this.clockRange);
    const decided = this.decideAll(keys, cost, now);
    const reclaimBy = this.reclaimClock.next(now) - RECLAIM_MARGIN_MS;
    for (const table of this.tables) table.reclaim(reclaimBy, RECLAIM_PER_WRITE);
    return decided;
  }

  private decideAll(keys: readonly string[], cost: StoreCost, now: number): Decision {
    const { specs, tables } = this;
    const slots = keys.map((key, i) => this.slotOf(i, key));
    const decisions = specs.map((spec, i) => {
      const table = tables[i] as SlotTable;
      const slot = slots[i] as number;
      return spec.policy.decide(stateOf(table), offsetOf(table, slot), now, costOf(cost, i), false);
    });
    if (!admitsAll(specs, decisions)) return combineDecisions(specs, this.settle(decisions, keys, now));
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i] as LimitSpec;
      // A shadow limit spends only what it would admit.
      if (!(decisions[i] as Decision).allowed) continue;
      const table = tables[i] as SlotTable;
      const slot = slots[i] as number;
      const committed = spec.policy.decide(stateOf(table), offsetOf(table, slot), now, costOf(cost, i), true);
      decisions[i] = committed;
      table.expiresAt[slot] = now + committed.resetMs;
    }
    return combineDecisions(specs, decisions);
  }

  /**
   * When the set is denied, a limit that would have admitted the request
   * reports its unchanged state (a cost-0 evaluation): nothing was spent.
   */
  private settle(decisions: Decision[], keys: readonly string[], now: number): Decision[] {
    if (admitsAll(this.specs, decisions)) return decisions;
    for (let i = 0; i < decisions.length; i++) {
      if ((decisions[i] as Decision).allowed) decisions[i] = this.evaluate(i, keys[i] as string, now, 0);
    }
    return decisions;
  }

  /** The decision of limit `i` for `cost` units of `key`, writing nothing; a key not held is a new one. */
  private evaluate(i: number, key: string, now: number, cost: number): Decision {
    const table = this.tables[i] as SlotTable;
    const { policy } = this.specs[i] as LimitSpec;
    const slot = table.find(key);
    if (slot !== undefined) return policy.decide(stateOf(table), offsetOf(table, slot), now, cost, false);
    const scratch = this.scratch[i] as StateVector;
    policy.init(scratch, 0);
    return policy.decide(scratch, 0, now, cost, false);
  }

  /** The slot of `key` in limit `i`'s table, created (full capacity, reclaimable at once) when missing. */
  private slotOf(i: number, key: string): number {
    const slot = (this.tables[i] as SlotTable).use(key);
    return slot < 0 ? this.create(i, key) : slot;
  }

  /** A new slot for `key` in limit `i`'s table, at full capacity and reclaimable at once. */
  private create(i: number, key: string): number {
    const table = this.tables[i] as SlotTable;
    const slot = table.add(key);
    const { policy } = this.specs[i] as LimitSpec;
    policy.init(stateOf(table), offsetOf(table, slot));
    // Nothing spent yet: reclaimable until an admission says otherwise.
    table.expiresAt[slot] = Number.NEGATIVE_INFINITY;
    return slot;
  }
}

/**
 * What a shared table's state means, as Redis names its keys: the prefix,
 * the algorithm and its unit (the window, or a bucket's ticks per ms).
 * Limits that agree on these share state whatever their limit, so a limit
 * changed in place continues from its count.
 */
function stateIdentity(prefix: string, policy: Policy): string {
  const bucket = policy.algorithm === 'token-bucket' || policy.algorithm === 'leaky-bucket';
  return JSON.stringify([prefix, policy.algorithm, bucket ? policy.params[1] : policy.windowMs]);
}

/** Whether every enforced limit admits. */
function admitsAll(specs: readonly LimitSpec[], decisions: readonly Decision[]): boolean {
  for (let i = 0; i < specs.length; i++) {
    if (!(specs[i] as LimitSpec).shadow && !(decisions[i] as Decision).allowed) return false;
  }
  return true;
}

function stateOf(table: SlotTable): StateVector {
  return table.stride === 0 ? table.logs : table.state;
}

/** Where `slot`'s state starts in {@link stateOf}: its first number, or its log's index. */
function offsetOf(table: SlotTable, slot: number): number {
  return table.stride === 0 ? slot : slot * table.stride;
}
