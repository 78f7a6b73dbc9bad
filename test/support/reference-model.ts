/**
 * The exact reference model of DESIGN.md "Semantics", independent of the
 * policies' integer tricks: tokens and queue levels are exact rationals
 * (BigInt), the sliding window weight is a rational, and retryAfterMs /
 * resetMs are found by binary search over the model itself (waiting never
 * hurts on a monotonic clock), not by closed forms. Used by test/oracle.test.ts
 * (one policy) and test/limit-sets/oracle.test.ts (limit sets).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fixedWindow, leakyBucket, type Policy, slidingLog, slidingWindow, tokenBucket } from '../../src/index.js';

/** An exact rational n/d, d > 0. */
export class Q {
  constructor(
    readonly n: bigint,
    readonly d: bigint = 1n,
  ) {}
  static of(n: number, d = 1): Q {
    return new Q(BigInt(n), BigInt(d));
  }
  add(o: Q): Q {
    return new Q(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Q): Q {
    return new Q(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o: Q): Q {
    return new Q(this.n * o.n, this.d * o.d);
  }
  cmp(o: Q): number {
    const x = this.n * o.d - o.n * this.d;
    return x < 0n ? -1 : x > 0n ? 1 : 0;
  }
  floor(): number {
    const q = this.n / this.d;
    return Number(this.n < 0n && q * this.d !== this.n ? q - 1n : q);
  }
  ceil(): number {
    return -new Q(-this.n, this.d).floor() || 0;
  }
  min(o: Q): Q {
    return this.cmp(o) <= 0 ? this : o;
  }
  max(o: Q): Q {
    return this.cmp(o) >= 0 ? this : o;
  }
}

/** The model of one key: what a request decides at `t`, and whether the key equals a new one at `t`. */
export interface Model {
  admits(t: number, cost: number): boolean;
  /** Whole units admissible at `t` (before any request at `t`). */
  remaining(t: number): number;
  /** Leaky bucket: the wait before a request admitted at the model instant `t` starts to drain (pure arithmetic, no clock). */
  drainWaitAt(t: number): number;
  commit(t: number, cost: number): void;
  isNew(t: number): boolean;
}

export type Spec =
  | { kind: 'fixedWindow' | 'slidingLog' | 'slidingWindow'; limit: number; window: number }
  | { kind: 'tokenBucket' | 'leakyBucket'; limit: number; n: number; d: number };

export function model(spec: Spec): Model {
  const L = spec.limit;
  switch (spec.kind) {
    case 'fixedWindow': {
      const W = spec.window;
      let index = Number.NEGATIVE_INFINITY;
      let count = 0;
      const used = (t: number) => (Math.floor(t / W) === index ? count : 0);
      return {
        admits: (t, cost) => used(t) + cost <= L,
        remaining: (t) => L - used(t),
        drainWaitAt: () => 0,
        commit(t, cost) {
          count = used(t) + cost;
          index = Math.floor(t / W);
        },
        isNew: (t) => used(t) === 0,
      };
    }
    case 'slidingLog': {
      const W = spec.window;
      const log: number[] = [];
      const live = (t: number) => log.filter((e) => t < e + W).length;
      return {
        admits: (t, cost) => live(t) + cost <= L,
        remaining: (t) => L - live(t),
        drainWaitAt: () => 0,
        commit(t, cost) {
          for (let i = 0; i < cost; i++) log.push(t);
        },
        isNew: (t) => live(t) === 0,
      };
    }
    case 'slidingWindow': {
      const W = spec.window;
      const counts = new Map<number, number>();
      const weighted = (t: number) => {
        const i = Math.floor(t / W);
        const elapsed = t - i * W;
        const previous = Q.of(counts.get(i - 1) ?? 0).mul(Q.of(W - elapsed, W));
        return previous.add(Q.of(counts.get(i) ?? 0));
      };
      return {
        admits: (t, cost) => weighted(t).add(Q.of(cost)).cmp(Q.of(L)) <= 0,
        remaining: (t) => Q.of(L).sub(weighted(t)).floor(),
        drainWaitAt: () => 0,
        commit(t, cost) {
          const i = Math.floor(t / W);
          counts.set(i, (counts.get(i) ?? 0) + cost);
        },
        isNew: (t) => weighted(t).cmp(Q.of(0)) === 0,
      };
    }
    case 'tokenBucket': {
      // tokens = min(capacity, tokens + elapsed * rate), rate = n/d per second.
      const perMs = Q.of(spec.n, 1000 * spec.d);
      let tokens = Q.of(L);
      let last = 0;
      const at = (t: number) => tokens.add(perMs.mul(Q.of(t - last))).min(Q.of(L));
      return {
        admits: (t, cost) => at(t).cmp(Q.of(cost)) >= 0,
        remaining: (t) => at(t).floor(),
        drainWaitAt: () => 0,
        commit(t, cost) {
          tokens = at(t).sub(Q.of(cost));
          last = t;
        },
        isNew: (t) => at(t).cmp(Q.of(L)) === 0,
      };
    }
    case 'leakyBucket': {
      // A queue draining continuously at n/d units per second.
      const perMs = Q.of(spec.n, 1000 * spec.d);
      let level = Q.of(0);
      let last = 0;
      const at = (t: number) => level.sub(perMs.mul(Q.of(t - last))).max(Q.of(0));
      return {
        admits: (t, cost) => at(t).add(Q.of(cost)).cmp(Q.of(L)) <= 0,
        remaining: (t) => Q.of(L).sub(at(t)).floor(),
        // Wait until the queue ahead has drained: level / rate ms, rounded up.
        drainWaitAt: (t) => at(t).mul(new Q(perMs.d, perMs.n)).ceil(),
        commit(t, cost) {
          level = at(t).add(Q.of(cost));
          last = t;
        },
        isNew: (t) => at(t).cmp(Q.of(0)) === 0,
      };
    }
  }
}

/** Least w in [0, hi] with ok(w), for ok monotone in w. */
export function least(ok: (w: number) => boolean, hi: number): number {
  assert.ok(ok(hi), 'search bound too small');
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function policyOf(spec: Spec): Policy {
  switch (spec.kind) {
    case 'fixedWindow':
      return fixedWindow({ limit: spec.limit, window: spec.window });
    case 'slidingLog':
      return slidingLog({ limit: spec.limit, window: spec.window });
    case 'slidingWindow':
      return slidingWindow({ limit: spec.limit, window: spec.window });
    case 'tokenBucket':
      return tokenBucket({ capacity: spec.limit, refillPerSecond: spec.n / spec.d });
    case 'leakyBucket':
      return leakyBucket({ capacity: spec.limit, leakPerSecond: spec.n / spec.d });
  }
}

export const limit = fc.integer({ min: 1, max: 8 });
export const window = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1000, 60_000));
export const rate = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }));
export const specs: Record<Spec['kind'], fc.Arbitrary<Spec>> = {
  fixedWindow: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'fixedWindow', limit: l, window: w })),
  slidingLog: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'slidingLog', limit: l, window: w })),
  slidingWindow: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'slidingWindow', limit: l, window: w })),
  tokenBucket: fc.tuple(limit, rate).map(([l, [n, d]]) => ({ kind: 'tokenBucket', limit: l, n, d })),
  leakyBucket: fc.tuple(limit, rate).map(([l, [n, d]]) => ({ kind: 'leakyBucket', limit: l, n, d })),
};

/** A model that can be forked: a copy to commit a peek's request to, leaving the original as it is. */
export interface ForkableModel extends Model {
  fork(): Model;
}

/** {@link model} with its commits recorded, so that {@link ForkableModel.fork} can replay them. */
export function forkableModel(spec: Spec): ForkableModel {
  const commits: [number, number][] = [];
  const m = model(spec);
  return {
    admits: (t, cost) => m.admits(t, cost),
    remaining: (t) => m.remaining(t),
    drainWaitAt: (t) => m.drainWaitAt(t),
    isNew: (t) => m.isNew(t),
    commit(t, cost) {
      commits.push([t, cost]);
      m.commit(t, cost);
    },
    fork() {
      const copy = model(spec);
      for (const [t, cost] of commits) copy.commit(t, cost);
      return copy;
    },
  };
}
