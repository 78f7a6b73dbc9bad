import { LogState } from '../policies/log-state.js';

/**
 * Maps keys to slots of preallocated typed arrays and keeps them in
 * least-recently-used order with an intrusive doubly linked list, so a
 * million keys cost no object per key and no timer per key.
 */
export class SlotTable {
  private readonly index = new Map<string, number>();
  // Plain arrays sized to `capacity` like the typed arrays: appending would
  // reserve up to 50 % more, several bytes per key at a million keys.
  private keys: (string | undefined)[];
  /** The logs of the slots, for the policy whose state is not a fixed count of numbers (the sliding log, `stride` 0). */
  logs: LogState;
  private previous: Int32Array;
  private next: Int32Array;
  /** Clock time (ms) at which each slot's key is back at full capacity; reclaimable from then on. */
  expiresAt: Float64Array;
  /** `stride` numbers of policy state per slot. */
  state: Float64Array;
  /** Most recently used slot, or -1. */
  private head = -1;
  /** Least recently used slot, or -1. */
  private tail = -1;
  /** Slots freed by deletion, reused before the arrays grow. */
  private readonly freeSlots: number[] = [];
  private capacity: number;

  constructor(
    readonly maxKeys: number,
    readonly stride: number,
  ) {
    this.capacity = Math.min(maxKeys, 1024);
    this.previous = new Int32Array(this.capacity);
    this.next = new Int32Array(this.capacity);
    this.expiresAt = new Float64Array(this.capacity);
    this.state = new Float64Array(this.capacity * stride);
    this.keys = new Array(this.capacity);
    this.logs = new LogState(stride === 0 ? this.capacity : 0);
  }

  get size(): number {
    return this.index.size;
  }

  /** The slot of `key`, or undefined; does not change recency. */
  find(key: string): number | undefined {
    return this.index.get(key);
  }

  /**
   * The slot of `key` marked as the most recently used, or -1 when the key is
   * not held: the hit path of every decision in one small call (find and
   * touch as two calls did not fit the compiler's inlining budget).
   */
  use(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) return -1;
    if (slot !== this.head) {
      this.unlink(slot);
      this.linkAtHead(slot);
    }
    return slot;
  }

  /** A new slot for `key`, evicting the least recently used key when full. */
  add(key: string): number {
    if (this.index.size >= this.maxKeys) this.delete(this.tail);
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.index.size;
      if (slot >= this.capacity) this.grow();
    }
    this.index.set(key, slot);
    this.keys[slot] = key;
    this.linkAtHead(slot);
    return slot;
  }

  /** Forgets the key in `slot`. */
  delete(slot: number): void {
    const key = this.keys[slot];
    if (key === undefined) return;
    this.index.delete(key);
    this.keys[slot] = undefined;
    // A log's entries go with its key (a counter's numbers are overwritten when the slot is reused).
    if (this.stride === 0) this.logs.clear(slot);
    this.unlink(slot);
    this.freeSlots.push(slot);
  }

  /**
   * Reclaims up to `budget` least recently used keys whose state is back at
   * full capacity by `nowMs`. Called on every write, so expired state is
   * returned as the store is used, at a bounded cost per call.
   */
  reclaim(nowMs: number, budget: number): void {
    for (let i = 0; i < budget; i++) {
      const slot = this.tail;
      if (slot < 0 || (this.expiresAt[slot] as number) > nowMs) return;
      this.delete(slot);
    }
  }

  clear(): void {
    this.index.clear();
    this.keys = new Array(this.capacity);
    if (this.stride === 0) this.logs = new LogState(this.capacity);
    this.freeSlots.length = 0;
    this.head = -1;
    this.tail = -1;
  }

  private grow(): void {
    const capacity = Math.min(this.maxKeys, this.capacity * 2);
    const previous = new Int32Array(capacity);
    previous.set(this.previous);
    this.previous = previous;
    const next = new Int32Array(capacity);
    next.set(this.next);
    this.next = next;
    const expiresAt = new Float64Array(capacity);
    expiresAt.set(this.expiresAt);
    this.expiresAt = expiresAt;
    const state = new Float64Array(capacity * this.stride);
    state.set(this.state);
    this.state = state;
    this.keys = resized(this.keys, capacity);
    if (this.stride === 0) this.logs.resize(capacity);
    this.capacity = capacity;
  }

  private linkAtHead(slot: number): void {
    this.previous[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.previous[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const before = this.previous[slot] as number;
    const after = this.next[slot] as number;
    if (before >= 0) this.next[before] = after;
    else this.head = after;
    if (after >= 0) this.previous[after] = before;
    else this.tail = before;
  }
}

/** A copy of `items` with room for exactly `capacity` entries. */
function resized<T>(items: readonly T[], capacity: number): T[] {
  const copy = new Array<T>(capacity);
  for (let i = 0; i < items.length; i++) copy[i] = items[i] as T;
  return copy;
}
