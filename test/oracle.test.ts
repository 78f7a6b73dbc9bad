/**
 * Differential test against a reference model written straight from DESIGN.md
 * "Semantics" (test/support/reference-model.ts), independent of the policies'
 * integer tricks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { least, model, policyOf, type Spec, specs } from './support/reference-model.js';
import { VECTOR_EPOCH_MS } from './support/vectors.js';

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
              const delayMs = spec.kind === 'leakyBucket' ? m.drainWaitAt(t) : 0;
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
