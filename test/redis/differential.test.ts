/**
 * Differential property tests: random traces decided by RedisStore (each
 * client kind) must agree on every field of every decision with MemoryStore
 * (the clock moving forward), and with the bare policy math, state never
 * forgotten (the clock also going backwards).
 *
 * Why two references: MemoryStore reclaims a key once the clock passes its
 * expiry; if the clock then goes back, the key is new to it, while Redis keeps
 * keys `expiryMarginMs` longer and still decides "as if at the stored time".
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Decision,
  fixedWindow,
  LogState,
  leakyBucket,
  MemoryStore,
  type Policy,
  RateLimiter,
  type StateVector,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const limitArb = fc.integer({ min: 1, max: 6 });
const windowArb = fc.constantFrom(7, 10, 1000, 60_000);
const rateArb = fc.constantFrom(1, 3, 2.5, 100 / 60, 0.375, 1000);

const POLICIES: Record<string, fc.Arbitrary<Policy>> = {
  fixedWindow: fc.tuple(limitArb, windowArb).map(([limit, window]) => fixedWindow({ limit, window })),
  slidingLog: fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingLog({ limit, window })),
  slidingWindow: fc.tuple(limitArb, windowArb).map(([limit, window]) => slidingWindow({ limit, window })),
  tokenBucket: fc
    .tuple(limitArb, rateArb)
    .map(([capacity, refillPerSecond]) => tokenBucket({ capacity, refillPerSecond })),
  leakyBucket: fc.tuple(limitArb, rateArb).map(([capacity, leakPerSecond]) => leakyBucket({ capacity, leakPerSecond })),
};

type Step =
  | { op: 'limit'; key: string; cost: number; advanceMs: number }
  | { op: 'peek'; key: string; advanceMs: number }
  | { op: 'reset'; key: string; advanceMs: number };

const keyArb = fc.constantFrom('a', 'b', 'c}{');
// Mostly small steps, and some jumps of a few windows.
const forwardArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 130_000 }) },
);
// The same, with the clock going backwards now and then.
const anyArb = fc.oneof(
  { weight: 8, arbitrary: forwardArb },
  { weight: 1, arbitrary: fc.integer({ min: -2_000, max: -1 }) },
);
const stepsOf = (advanceArb: fc.Arbitrary<number>): fc.Arbitrary<Step[]> => {
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('limit' as const),
        key: keyArb,
        cost: fc.integer({ min: 1, max: 6 }),
        advanceMs: advanceArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('peek' as const), key: keyArb, advanceMs: advanceArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const), key: keyArb, advanceMs: advanceArb }) },
  );
  return fc.array(stepArb, { minLength: 1, maxLength: 40 });
};
// Starts before, at and long after TICK_EPOCH_MS (2026-01-01), aligned or not.
const startArb = fc.constantFrom(0, 1_767_225_600_000, 1_767_225_599_999, 1_900_000_000_123);

let run = 0;

/** The policy math alone: one state per key, kept until reset. */
function model(policy: Policy): { decide(step: Step, now: number): Decision | undefined } {
  const states = new Map<string, StateVector>();
  const fresh = (): StateVector => {
    const state = policy.stateSize === 0 ? new LogState() : new Float64Array(policy.stateSize);
    policy.init(state, 0);
    return state;
  };
  return {
    decide(step, now) {
      if (step.op === 'reset') {
        states.delete(step.key);
        return undefined;
      }
      let state = states.get(step.key);
      if (step.op === 'peek') return policy.decide(state ?? fresh(), 0, now, 1, false);
      if (!state) {
        state = fresh();
        states.set(step.key, state);
      }
      return policy.decide(state, 0, now, Math.min(step.cost, policy.limit), true);
    },
  };
}

async function decide(limiter: RateLimiter, step: Step): Promise<Decision | undefined> {
  if (step.op === 'reset') {
    await limiter.reset(step.key);
    return undefined;
  }
  if (step.op === 'peek') return limiter.peek(step.key);
  return limiter.limit(step.key, { cost: Math.min(step.cost, limiter.policy.limit) });
}

for (const kind of CLIENT_KINDS) {
  describe(`RedisStore (${kind}) agrees with MemoryStore and with the policy math on random traces`, () => {
    for (const [name, policyArb] of Object.entries(POLICIES)) {
      test(name, async () => {
        const client = db.client(kind);
        const redis = new RedisStore({ client: client.client });
        let checked = 0;
        const trace = (withMemory: boolean) =>
          fc.asyncProperty(
            policyArb,
            startArb,
            stepsOf(withMemory ? forwardArb : anyArb),
            async (policy, start, steps) => {
              let now = start;
              const clock = (): number => now;
              const prefix = `diff${run++}`;
              const memory = new RateLimiter({ policy, clock, prefix, store: new MemoryStore() });
              const math = model(policy);
              const remote = new RateLimiter({
                policy,
                clock,
                prefix,
                store: redis,
                onStoreError: 'throw',
                timeoutMs: Number.POSITIVE_INFINITY,
              });
              for (const [i, step] of steps.entries()) {
                now += step.advanceMs;
                const expected = withMemory ? await decide(memory, step) : math.decide(step, now);
                const actual = await decide(remote, step);
                assert.deepEqual(actual, expected, `step ${i} at ${now}: ${JSON.stringify(step)}`);
                checked++;
              }
            },
          );
        await fc.assert(trace(true), { numRuns: 50 });
        await fc.assert(trace(false), { numRuns: 50 });
        assert.ok(checked > 60);
      });
    }
  });
}
