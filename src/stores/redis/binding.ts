import type { Decision } from '../../policies/decision.js';
import type { LimitSpec } from '../../policies/limit-set.js';
import type { Admission } from '../../policies/policy.js';
import type { BoundStore } from '../store.js';
import type { Batcher } from './batch.js';
import type { KeyNamer } from './keys.js';

/** A limiter's keys on one Redis (or a set whose keys share a cluster slot): one script call per request. */
export class RedisBinding implements BoundStore {
  readonly count: number;

  constructor(
    private readonly batcher: Batcher,
    readonly namer: KeyNamer,
    specs: readonly LimitSpec[],
    private readonly clock: (() => number) | undefined,
  ) {
    this.count = specs.length;
  }

  limit(keys: readonly string[], cost: number, deadline: number): Promise<Decision> {
    return this.batcher.add(this.redisKeys(keys), costArg(cost), this.now(), undefined, deadline) as Promise<Decision>;
  }

  peek(keys: readonly string[], deadline: number): Promise<Decision> {
    return this.batcher.add(this.redisKeys(keys), 'p', this.now(), undefined, deadline) as Promise<Decision>;
  }

  async refund(
    keys: readonly string[],
    cost: number,
    admissions: readonly (Admission | undefined)[],
    deadline: number,
  ): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'r', this.now(), refundArgs(cost, admissions), deadline);
  }

  async reset(keys: readonly string[], deadline: number): Promise<void> {
    await this.batcher.add(this.redisKeys(keys), 'd', this.now(), undefined, deadline);
  }

  now(): string | undefined {
    return this.clock === undefined ? undefined : String(Math.floor(this.clock()));
  }

  redisKeys(keys: readonly string[]): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.namer.key(i, keys[i] as string);
    return out;
  }
}

export function costArg(cost: number): string {
  return cost === 1 ? '1' : String(cost);
}

/** A refund's arguments after its op: the cost, then per limit the admission's atMs and resetMs. */
export function refundArgs(cost: number, admissions: readonly (Admission | undefined)[]): string[] {
  const extra = [String(cost)];
  for (const admission of admissions) {
    if (admission === undefined) extra.push('', '');
    else if (Number.isNaN(admission.atMs)) extra.push('L', '0');
    else extra.push(String(admission.atMs), String(admission.resetMs));
  }
  return extra;
}
