import type { Decision } from '../policies/decision.js';
import { IssueList, isOptionsObject } from '../policies/errors.js';
import type { Policy } from '../policies/policy.js';
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

  constructor(options: MemoryStoreOptions = {}) {
    const issues = new IssueList();
    if (isOptionsObject(issues, 'MemoryStore', options)) {
      issues.unknownKeys('MemoryStore', options, KNOWN);
      if (options.maxKeys !== undefined) {
        positiveInteger(issues, 'FG_MAX_KEYS_INVALID', 'MemoryStore.maxKeys', options.maxKeys, 2 ** 31 - 1);
      }
    }
    issues.throwIfAny();
    this.maxKeys = options.maxKeys ?? 1_000_000;
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
    const table = new SlotTable(this.maxKeys, binding.policy.stateSize);
    this.tables.push(table);
    return new MemoryBinding(table, binding.policy, binding.clock ?? Date.now);
  }
}

class MemoryBinding implements BoundStore {
  private readonly stride: number;
  private readonly scratch: Float64Array;

  constructor(
    private readonly table: SlotTable,
    private readonly policy: Policy,
    private readonly clock: () => number,
  ) {
    this.stride = policy.stateSize;
    this.scratch = new Float64Array(Math.max(1, policy.stateSize));
  }

  limit(key: string, cost: number): Decision {
    const now = Math.floor(this.clock());
    const { table, policy } = this;
    let slot = table.find(key);
    const created = slot === undefined;
    if (slot === undefined) {
      slot = table.add(key);
      this.init(slot);
    } else {
      table.touch(slot);
    }
    let result: Decision;
    if (this.stride === 0) {
      const log = table.logs[slot] as number[];
      result = policy.decide(log, 0, now, cost, true);
      // The first push into an empty array reserves 16 spare entries (128 bytes);
      // many keys are seen only once or twice, so a new key keeps an exact copy.
      if (created && result.allowed) table.logs[slot] = log.slice();
    } else {
      result = policy.decide(table.state, slot * this.stride, now, cost, true);
    }
    if (result.allowed) table.expiresAt[slot] = now + result.resetMs;
    table.reclaim(now - RECLAIM_MARGIN_MS, RECLAIM_PER_WRITE);
    return result;
  }

  peek(key: string): Decision {
    const now = Math.floor(this.clock());
    const slot = this.table.find(key);
    if (this.stride === 0) {
      const log = slot === undefined ? [] : (this.table.logs[slot] as number[]);
      return this.policy.decide(log, 0, now, 1, false);
    }
    if (slot !== undefined) return this.policy.decide(this.table.state, slot * this.stride, now, 1, false);
    this.policy.init(this.scratch, 0);
    return this.policy.decide(this.scratch, 0, now, 1, false);
  }

  reset(key: string): undefined {
    const slot = this.table.find(key);
    if (slot !== undefined) this.table.delete(slot);
    return undefined;
  }

  private init(slot: number): void {
    if (this.stride === 0) {
      let log = this.table.logs[slot];
      if (log === undefined) {
        log = [];
        this.table.logs[slot] = log;
      }
      this.policy.init(log, 0);
    } else {
      this.policy.init(this.table.state, slot * this.stride);
    }
  }
}
