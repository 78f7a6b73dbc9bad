import { type ClockRange, clockRange, clockReading } from '../../clock-range.js';
import type { StoreCost } from '../../costs.js';
import type { Decision } from '../../policies/decision.js';
import type { LimitSpec } from '../../policies/limit-set.js';
import type { Refund } from '../../policies/policy.js';
import type { BoundStore } from '../store.js';
import type { Batcher } from './batch.js';
import type { KeyNamer } from './keys.js';

/** A limiter's keys on one Redis (or a set whose keys share a cluster slot): one script call per request. */
export class RedisBinding implements BoundStore {
  readonly count: number;
  /** One limit: the last user key and its keys array, handed again to a hot key's callers (read only downstream). */
  private lastKey: string | undefined = undefined;
  private lastKeys: readonly string[] = [];
  /** The clock readings the limits count exactly at (see clock-range.ts). */
  private readonly clockRange: ClockRange;

  constructor(
    private readonly batcher: Batcher,
    readonly namer: KeyNamer,
    specs: readonly LimitSpec[],
    private readonly clock: (() => number) | undefined,
  ) {
    this.count = specs.length;
    this.clockRange = clockRange(specs);
  }

  limit(keys: readonly string[], cost: StoreCost, deadline: number): Promise<Decision> {
    const redisKeys = this.redisKeys(keys);
    if (typeof cost === 'number') {
      return this.batcher.add(redisKeys, costArg(cost), this.now(), undefined, deadline) as Promise<Decision>;
    }
    return this.batcher.add(redisKeys, 'c', this.now(), costArgs(cost), deadline) as Promise<Decision>;
  }

  peek(keys: readonly string[], deadline: number): Promise<Decision> {
    return this.batcher.add(this.redisKeys(keys), 'p', this.now(), undefined, deadline) as Promise<Decision>;
  }

  async refund(keys: readonly string[], refunds: readonly (Refund | undefined)[], deadline: number): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'r', this.now(), refundArgs(refunds), deadline);
  }

  async reset(keys: readonly string[], deadline: number): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'd', this.now(), undefined, deadline);
  }

  now(): string | undefined {
    return this.clock === undefined ? undefined : String(clockReading(this.clock(), this.clockRange));
  }

  redisKeys(keys: readonly string[]): readonly string[] {
    if (this.count === 1) {
      const key = keys[0] as string;
      if (key === this.lastKey) return this.lastKeys;
      this.lastKey = key;
      this.lastKeys = [this.namer.key(0, key)];
      return this.lastKeys;
    }
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.namer.key(i, keys[i] as string);
    return out;
  }
}

export function costArg(cost: number): string {
  return cost === 1 ? '1' : String(cost);
}

/** The arguments of a 'c' op (a cost per limit): the costs, in the limits' order. */
export function costArgs(costs: readonly number[]): string[] {
  return costs.map((cost) => String(cost));
}

/** A refund's arguments after its op: per limit the admission's atMs ('L': the latest; '': none), resetMs and cost. */
export function refundArgs(refunds: readonly (Refund | undefined)[]): string[] {
  const extra: string[] = [];
  for (const refund of refunds) {
    if (refund === undefined) extra.push('', '', '');
    else if (Number.isNaN(refund.atMs)) extra.push('L', '0', String(refund.cost));
    else extra.push(String(refund.atMs), String(refund.resetMs), String(refund.cost));
  }
  return extra;
}
