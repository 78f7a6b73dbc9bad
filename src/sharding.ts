import type { StoreCost } from './costs.js';
import type { Gate } from './gate.js';
import type { Decision } from './policies/decision.js';
import type { Refund } from './policies/policy.js';

/**
 * Hot-key sharding: one logical limit split over `parts` (each a binding of
 * the policy's `part(i, n)` under its own prefix, so on a cluster the parts
 * land on different slots). A caller with a `shardKey` always uses the same
 * part; others go round-robin, and `peek` reads the part the next `limit`
 * would use, so it predicts it. A refund goes to the part that admitted.
 */
export class ShardedGate implements Gate {
  private cursor = 0;
  /** The part each admission came from, so its refund finds it. */
  private readonly partOf = new WeakMap<Decision, number>();

  readonly synchronous: boolean;

  constructor(private readonly parts: readonly Gate[]) {
    this.synchronous = parts.every((part) => part.synchronous === true);
  }

  limit(keys: readonly string[], cost: StoreCost, deadline: number, shardKey?: string): Decision | Promise<Decision> {
    let part: number;
    if (shardKey === undefined) {
      part = this.cursor;
      this.cursor = (part + 1) % this.parts.length;
    } else {
      part = this.route(shardKey);
    }
    const answer = (this.parts[part] as Gate).limit(keys, cost, deadline);
    if (!(answer instanceof Promise)) return this.remember(answer, part);
    return answer.then((decided) => this.remember(decided, part));
  }

  peek(keys: readonly string[], deadline: number, shardKey?: string): Decision | Promise<Decision> {
    const part = shardKey === undefined ? this.cursor : this.route(shardKey);
    return (this.parts[part] as Gate).peek(keys, deadline);
  }

  refund(
    keys: readonly string[],
    refunds: readonly (Refund | undefined)[],
    deadline: number,
    shardKey?: string,
    admitted?: Decision,
  ): undefined | Promise<void> {
    const known = admitted === undefined ? undefined : this.partOf.get(admitted);
    const part =
      known ??
      (shardKey === undefined ? (this.cursor + this.parts.length - 1) % this.parts.length : this.route(shardKey));
    return (this.parts[part] as Gate).refund(keys, refunds, deadline);
  }

  reset(keys: readonly string[], deadline: number): undefined | Promise<void> {
    const done = this.parts.map((part) => part.reset(keys, deadline));
    if (done.every((d) => d === undefined)) return undefined;
    return Promise.all(done).then(() => undefined);
  }

  private route(shardKey: string): number {
    return fnv1a(shardKey) % this.parts.length;
  }

  private remember(decided: Decision, part: number): Decision {
    if (decided.allowed) this.partOf.set(decided, part);
    return decided;
  }
}

/** 32-bit FNV-1a: a cheap, stable hash to route a shard key. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
