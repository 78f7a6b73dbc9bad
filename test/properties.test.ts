/**
 * Properties of every policy on random small limits, windows and rates
 * (fractional rates included) and random traces of (dt, cost, key), through
 * RateLimiter + MemoryStore with an injected clock. Traces may step the clock
 * backwards now and then: every property below must hold on the caller's clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Decision,
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

// FG_PROPERTY_RUNS=5000 for a longer local hunt.
const NUM_RUNS = Number(process.env.FG_PROPERTY_RUNS ?? 60);

type Factory = 'fixedWindow' | 'slidingLog' | 'slidingWindow' | 'tokenBucket' | 'leakyBucket';
const FACTORIES: readonly Factory[] = ['fixedWindow', 'slidingLog', 'slidingWindow', 'tokenBucket', 'leakyBucket'];

const windowMs = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constantFrom(100, 1000, 7000, 60_000));
// Rates whose interval is rarely a whole number of ms: 3/s, 7/s, 3/8/s, 5/3/s, n/d/s.
const perSecond = fc.oneof(
  fc.constantFrom(3, 7, 0.375, 100 / 60, 1 / 3, 0.1, 2.5, 1000, 4000),
  fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 12 })).map(([n, d]) => n / d),
);

function policyArb(factory: Factory): fc.Arbitrary<Policy> {
  const limit = fc.integer({ min: 1, max: 6 });
  switch (factory) {
    case 'fixedWindow':
      return fc.tuple(limit, windowMs).map(([l, w]) => fixedWindow({ limit: l, window: w }));
    case 'slidingLog':
      return fc.tuple(limit, windowMs).map(([l, w]) => slidingLog({ limit: l, window: w }));
    case 'slidingWindow':
      return fc.tuple(limit, windowMs).map(([l, w]) => slidingWindow({ limit: l, window: w }));
    case 'tokenBucket':
      return fc.tuple(limit, perSecond).map(([c, r]) => tokenBucket({ capacity: c, refillPerSecond: r }));
    case 'leakyBucket':
      return fc.tuple(limit, perSecond).map(([c, r]) => leakyBucket({ capacity: c, leakPerSecond: r }));
  }
}

/** A raw step; `dt` and `cost` are scaled to the policy by {@link concrete}. */
interface RawStep {
  move: 'none' | 'tiny' | 'scaled' | 'back';
  amount: number;
  cost: number;
  key: 'a' | 'b';
}

function rawStep(backwards: boolean): fc.Arbitrary<RawStep> {
  const moves: fc.WeightedArbitrary<RawStep['move']>[] = [
    { weight: 3, arbitrary: fc.constant('none') },
    { weight: 2, arbitrary: fc.constant('tiny') },
    { weight: 5, arbitrary: fc.constant('scaled') },
  ];
  if (backwards) moves.push({ weight: 1, arbitrary: fc.constant('back') });
  return fc.record({
    move: fc.oneof(...moves),
    amount: fc.integer({ min: 0, max: 1000 }),
    cost: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 6 })),
    key: fc.constantFrom('a' as const, 'b' as const),
  });
}

interface Step {
  /** Clock instant of the step. */
  t: number;
  cost: number;
  key: string;
}

interface Scenario {
  policy: Policy;
  steps: Step[];
}

/** Turns raw steps into instants: moves of up to 2 windows, 1-3 ms nudges, and jumps back of up to half a window. */
function concrete(policy: Policy, start: number, raw: RawStep[]): Step[] {
  let t = VECTOR_EPOCH_MS + (start % policy.windowMs);
  return raw.map((r) => {
    const scaled = Math.floor((r.amount * policy.windowMs) / 500);
    if (r.move === 'tiny') t += 1 + (r.amount % 3);
    else if (r.move === 'scaled') t += scaled;
    else if (r.move === 'back') t -= Math.floor(scaled / 4);
    return { t, cost: 1 + ((r.cost - 1) % policy.limit), key: r.key };
  });
}

/**
 * `backwards: false` keeps the clock monotonic. The properties comparing runs
 * with different traffic on other keys need it: MemoryStore reclaims a key
 * once the clock passes its resetMs, and cannot remember it if the clock then
 * jumps back (a known limitation, like LRU eviction).
 */
function scenario(factory: Factory, { maxSteps = 25, backwards = true } = {}): fc.Arbitrary<Scenario> {
  return fc
    .tuple(policyArb(factory), fc.nat(), fc.array(rawStep(backwards), { minLength: 1, maxLength: maxSteps }))
    .map(([policy, start, raw]) => ({ policy, steps: concrete(policy, start, raw) }));
}

/** A limiter on a fresh MemoryStore whose clock the test sets. */
function harness(policy: Policy): { limiter: RateLimiter; at(t: number): RateLimiter } {
  let now = VECTOR_EPOCH_MS;
  const limiter = new RateLimiter({ policy, store: new MemoryStore(), clock: () => now });
  return {
    limiter,
    at(t: number) {
      now = t;
      return limiter;
    },
  };
}

/** Runs `steps` on a fresh limiter; returns it (clock settable) and every decision. */
async function run(policy: Policy, steps: readonly Step[]) {
  const h = harness(policy);
  const decisions: Decision[] = [];
  for (const s of steps) decisions.push(await h.at(s.t).limit(s.key, { cost: s.cost }));
  return { ...h, decisions };
}

const fields = (d: Decision) => ({
  allowed: d.allowed,
  remaining: d.remaining,
  resetMs: d.resetMs,
  retryAfterMs: d.retryAfterMs,
  delayMs: d.delayMs,
});

async function check(arb: fc.Arbitrary<Scenario>, predicate: (s: Scenario) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(arb, predicate), { numRuns: NUM_RUNS });
}

for (const factory of FACTORIES) {
  describe(`properties of ${factory}`, () => {
    test('retryAfterMs is exact: denied at t + retryAfterMs - 1, admitted at t + retryAfterMs', async () => {
      await check(scenario(factory), async ({ policy, steps }) => {
        const { decisions } = await run(policy, steps);
        let checked = 0;
        for (const [i, d] of decisions.entries()) {
          if (d.allowed || checked >= 3) continue;
          checked++;
          const s = steps[i] as Step;
          assert.ok(d.retryAfterMs >= 1, 'a denial asks for a wait of at least 1 ms');
          const prefix = steps.slice(0, i);
          const early = await run(policy, prefix);
          const before = await early.at(s.t + d.retryAfterMs - 1).limit(s.key, { cost: s.cost });
          assert.equal(before.allowed, false, `denied 1 ms before retryAfterMs (${d.retryAfterMs})`);
          const onTime = await run(policy, prefix);
          const after = await onTime.at(s.t + d.retryAfterMs).limit(s.key, { cost: s.cost });
          assert.equal(after.allowed, true, `admitted at retryAfterMs (${d.retryAfterMs})`);
        }
      });
    });

    test('denied requests change nothing', async () => {
      await check(scenario(factory, { backwards: false }), async ({ policy, steps }) => {
        const all = await run(policy, steps);
        const kept = steps.filter((_, i) => all.decisions[i]?.allowed);
        const without = await run(policy, kept);
        const admitted = all.decisions.filter((d) => d.allowed);
        assert.deepEqual(without.decisions.map(fields), admitted.map(fields));
        // And a request after the trace sees the same state either way.
        const last = steps[steps.length - 1] as Step;
        for (const key of ['a', 'b']) {
          const t = last.t + 1;
          assert.deepEqual(fields(await all.at(t).peek(key)), fields(await without.at(t).peek(key)));
        }
      });
    });

    test('fields are whole numbers, remaining is in [0, limit], delayMs only on the leaky bucket', async () => {
      await check(scenario(factory), async ({ policy, steps }) => {
        const { decisions } = await run(policy, steps);
        for (const d of decisions) {
          for (const value of [d.remaining, d.resetMs, d.retryAfterMs, d.delayMs]) {
            assert.ok(Number.isSafeInteger(value) && value >= 0, `whole, non-negative: ${JSON.stringify(d)}`);
          }
          assert.equal(d.limit, policy.limit);
          assert.equal(d.degraded, false);
          assert.ok(d.remaining <= policy.limit);
          assert.equal(d.retryAfterMs === 0, d.allowed, 'retryAfterMs is 0 exactly when allowed');
          if (d.allowed) assert.ok(d.resetMs >= 1, 'an admitted request leaves state for at least 1 ms');
          if (factory !== 'leakyBucket' || !d.allowed) assert.equal(d.delayMs, 0);
        }
      });
    });

    test('peek returns exactly what limit({ cost: 1 }) would, and writes nothing', async () => {
      await check(scenario(factory), async ({ policy, steps }) => {
        const plain = await run(policy, steps);
        const h = harness(policy);
        for (const [i, s] of steps.entries()) {
          const limiter = h.at(s.t);
          const peeked = await limiter.peek(s.key);
          await limiter.peek(s.key === 'a' ? 'b' : 'a');
          const d = await limiter.limit(s.key, { cost: s.cost });
          assert.deepEqual(fields(d), fields(plain.decisions[i] as Decision), 'peeks changed a later decision');
          if (s.cost === 1) assert.deepEqual(fields(peeked), fields(d));
        }
      });
    });

    test("keys are independent: another key's traffic changes nothing", async () => {
      await check(scenario(factory, { backwards: false }), async ({ policy, steps }) => {
        const mixed = await run(policy, steps);
        for (const key of ['a', 'b']) {
          const alone = await run(
            policy,
            steps.filter((s) => s.key === key),
          );
          const mine = mixed.decisions.filter((_, i) => steps[i]?.key === key);
          assert.deepEqual(alone.decisions.map(fields), mine.map(fields));
        }
      });
    });

    test('resetMs: after waiting it the key behaves like a new key, and not 1 ms earlier', async () => {
      await check(scenario(factory, { maxSteps: 15 }), async ({ policy, steps }) => {
        const { decisions } = await run(policy, steps);
        const i = decisions.length - 1;
        const s = steps[i] as Step;
        const d = decisions[i] as Decision;
        const prefix = steps.slice(0, i + 1);
        const full = policy.limit;
        const fresh = harness(policy);
        const later = await run(policy, prefix);
        const at = s.t + d.resetMs;
        // A burst of the whole limit, then a cost-1, decided as for a key never seen.
        assert.deepEqual(
          fields(await later.at(at).limit(s.key, { cost: full })),
          fields(await fresh.at(at).limit('new', { cost: full })),
        );
        assert.deepEqual(
          fields(await later.at(at).limit(s.key, { cost: 1 })),
          fields(await fresh.at(at).limit('new', { cost: 1 })),
        );
        if (d.resetMs > 0) {
          const earlier = await run(policy, prefix);
          const burst = await earlier.at(at - 1).limit(s.key, { cost: full });
          assert.equal(burst.allowed, false, `1 ms before resetMs (${d.resetMs}) the key is not yet new`);
        }
      });
    });
  });
}
