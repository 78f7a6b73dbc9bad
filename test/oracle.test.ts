/**
 * Differential test against a reference model written straight from DESIGN.md
 * "Semantics", independent of the policies' integer tricks: tokens and queue
 * levels are exact rationals (BigInt), the sliding window weight is a rational,
 * and retryAfterMs / resetMs are found by binary search over the model itself
 * (waiting never hurts on a monotonic clock), not by closed forms.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  fixedWindow,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../src/index.js';
import { VECTOR_EPOCH_MS } from './support/vectors.js';

/** An exact rational n/d, d > 0. */
class Q {
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
interface Model {
  admits(t: number, cost: number): boolean;
  /** Whole units admissible at `t` (before any request at `t`). */
  remaining(t: number): number;
  /** Leaky bucket: the wait before a request admitted at `t` starts to drain. */
  delay(t: number): number;
  commit(t: number, cost: number): void;
  isNew(t: number): boolean;
}

type Spec =
  | { kind: 'fixedWindow' | 'slidingLog' | 'slidingWindow'; limit: number; window: number }
  | { kind: 'tokenBucket' | 'leakyBucket'; limit: number; n: number; d: number };

function model(spec: Spec): Model {
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
        delay: () => 0,
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
        delay: () => 0,
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
        delay: () => 0,
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
        delay: () => 0,
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
        delay: (t) => at(t).mul(new Q(perMs.d, perMs.n)).ceil(),
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
function least(ok: (w: number) => boolean, hi: number): number {
  assert.ok(ok(hi), 'search bound too small');
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function policyOf(spec: Spec): Policy {
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

const limit = fc.integer({ min: 1, max: 8 });
const window = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1000, 60_000));
const rate = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 9 }));
const specs: Record<Spec['kind'], fc.Arbitrary<Spec>> = {
  fixedWindow: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'fixedWindow', limit: l, window: w })),
  slidingLog: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'slidingLog', limit: l, window: w })),
  slidingWindow: fc.tuple(limit, window).map(([l, w]) => ({ kind: 'slidingWindow', limit: l, window: w })),
  tokenBucket: fc.tuple(limit, rate).map(([l, [n, d]]) => ({ kind: 'tokenBucket', limit: l, n, d })),
  leakyBucket: fc.tuple(limit, rate).map(([l, [n, d]]) => ({ kind: 'leakyBucket', limit: l, n, d })),
};

const trace = fc.array(
  fc.record({ dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.nat(1500)), cost: fc.nat(7) }),
  { minLength: 1, maxLength: 30 },
);

describe('the policies agree with a reference model written from DESIGN.md', () => {
  for (const kind of Object.keys(specs) as Spec['kind'][]) {
    test(kind, async () => {
      await fc.assert(
        fc.asyncProperty(specs[kind], fc.nat(100_000), trace, async (spec, start, steps) => {
          const policy = policyOf(spec);
          // The model works in absolute ms, so windows align to the Unix epoch as in the policies.
          let t = VECTOR_EPOCH_MS + start;
          const limiter = new RateLimiter({ policy, store: new MemoryStore(), clock: () => t });
          const m = model(spec);
          const horizon = 4 * policy.windowMs + 10;
          for (const [i, step] of steps.entries()) {
            t += step.dt;
            const cost = 1 + (step.cost % spec.limit);
            const d = await limiter.limit('k', { cost });
            const allowed = m.admits(t, cost);
            let expected: object;
            if (allowed) {
              const delayMs = spec.kind === 'leakyBucket' ? m.delay(t) : 0;
              m.commit(t, cost);
              const now = t;
              expected = {
                allowed,
                remaining: m.remaining(now),
                resetMs: least((w) => m.isNew(now + w), horizon),
                retryAfterMs: 0,
                delayMs,
              };
            } else {
              const now = t;
              expected = {
                allowed,
                remaining: Math.max(0, m.remaining(now)),
                resetMs: least((w) => m.isNew(now + w), horizon),
                retryAfterMs: least((w) => m.admits(now + w, cost), horizon),
                delayMs: 0,
              };
            }
            const actual = {
              allowed: d.allowed,
              remaining: d.remaining,
              resetMs: d.resetMs,
              retryAfterMs: d.retryAfterMs,
              delayMs: d.delayMs,
            };
            assert.deepEqual(actual, expected, `step ${i} at ${t} cost ${cost}`);
          }
        }),
        { numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 80) },
      );
    });
  }
});
