/**
 * Limit sets on a single Redis, with both clients: the set vectors
 * (test/vectors/limit-sets.json) replayed exactly in both encodings, and
 * random traces of random sets (mixed algorithms, shadow limits, keys per
 * limit or one for all, costs, peeks, resets, refunds) decided by RedisStore
 * agree on every field of every decision with MemoryStore (the clock moving
 * forward) and with the bare policy math, state never forgotten (the clock
 * also stepping back; see test/redis/differential.test.ts for why two
 * references).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore, RateLimiter, type SetDecision } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { oneLimitSetAnswersAsASet, oneShadowLimitNeverDenies } from '../support/one-limit-set.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';
import { SetMath } from '../support/set-model.js';
import {
  anyAdvanceArb,
  applyOp,
  forwardArb,
  type KeyChoice,
  limiterTarget,
  limitsOption,
  mathTarget,
  opsArb,
  type SetTarget,
  setArb,
  startArb,
} from '../support/set-traces.js';
import { loadSetVectors, replaySetCase } from '../support/set-vectors.js';
import { FUTURE_EPOCH_MS } from '../support/vectors.js';

const db = redisFixture();
/** Keys outlive their state by a day of real time: a slow step on a loaded machine never finds one gone. */
const MARGIN_MS = 86_400_000;
let prefixes = 0;
const RUNS = Number(process.env.FG_PROPERTY_RUNS ?? 150);

for (const kind of CLIENT_KINDS) {
  describe(`limit sets on RedisStore (${kind})`, () => {
    // The value encoding's TTLs are in real ms: a day of margin, so a stall on a loaded machine loses no state.
    const encodings = [
      { name: 'value', options: { expiryMarginMs: MARGIN_MS }, epochMs: undefined },
      { name: 'expiry', options: { encoding: 'expiry' }, epochMs: FUTURE_EPOCH_MS },
    ] as const;
    for (const encoding of encodings) {
      test(`replay every limit-set vector exactly (state in the ${encoding.name})`, async () => {
        const store = new RedisStore({ client: db.client(kind).client, ...encoding.options });
        for (const c of loadSetVectors()) {
          const prefix = `setvec-${encoding.name}-${prefixes++}`;
          await replaySetCase(
            c,
            (limits, clock) =>
              new RateLimiter({
                limits,
                store,
                clock,
                prefix,
                onStoreError: 'throw',
                timeoutMs: Number.POSITIVE_INFINITY,
              }),
            encoding.epochMs,
          );
        }
      });
    }

    test('a set of one limit answers as a set (regression: it answered as a bare policy)', async () => {
      const store = new RedisStore({ client: db.client(kind).client });
      await oneLimitSetAnswersAsASet(store, `one${prefixes++}`);
    });

    test('a set of one shadow limit never denies (regression: it was enforced)', async () => {
      const store = new RedisStore({ client: db.client(kind).client });
      await oneShadowLimitNeverDenies(store, `one${prefixes++}`);
    });

    test('random set traces agree with MemoryStore (clock forward) and the policy math (clock also back)', async () => {
      const store = new RedisStore({ client: db.client(kind).client, expiryMarginMs: MARGIN_MS });
      let checked = 0;
      const property = (withMemory: boolean) =>
        fc.asyncProperty(
          setArb,
          startArb,
          opsArb(withMemory ? forwardArb : anyAdvanceArb),
          async (defs, start, ops) => {
            let now = start;
            const clock = (): number => now;
            const prefix = `setdiff${prefixes++}`;
            const limits = limitsOption(defs);
            const smallest = Math.min(...defs.map((def) => def.policy.limit));
            const expected: SetTarget = withMemory
              ? limiterTarget(defs, new RateLimiter({ limits, clock, prefix, store: new MemoryStore() }))
              : mathTarget(defs, new SetMath(defs), clock);
            const actual = limiterTarget(
              defs,
              new RateLimiter({
                limits,
                clock,
                prefix,
                store,
                onStoreError: 'throw',
                timeoutMs: Number.POSITIVE_INFINITY,
              }),
            );
            const expectedHistory: { keys: KeyChoice; decision: SetDecision }[] = [];
            const actualHistory: { keys: KeyChoice; decision: SetDecision }[] = [];
            for (const [i, op] of ops.entries()) {
              now += op.advanceMs;
              const want = await applyOp(expected, op, smallest, expectedHistory);
              const got = await applyOp(actual, op, smallest, actualHistory);
              assert.deepEqual(got, want, `op ${i} at ${now}: ${JSON.stringify(op)}`);
              checked++;
            }
          },
        );
      await fc.assert(property(true), { numRuns: RUNS });
      await fc.assert(property(false), { numRuns: RUNS });
      assert.ok(checked > 200, `only ${checked} operations checked`);
    });
  });
}
