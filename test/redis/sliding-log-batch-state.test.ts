/**
 * A sliding log's state is read once per script call and kept up to date by
 * each admission and refund of the batch (what it knows of the list, by
 * index). A stale entry would decide a later request of the same burst
 * wrongly: bursts that mix admissions, peeks, refunds of earlier admissions
 * and resets on a few keys, with entries leaving the window inside the
 * burst, decide exactly like the memory store deciding the same calls one by
 * one, and leave the same state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Decision, MemoryStore, RateLimiter, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS } from '../support/redis-clients.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

type Op =
  | { kind: 'limit'; key: string; cost: number; advanceMs: number }
  | { kind: 'peek'; key: string; advanceMs: number }
  | { kind: 'refund'; admission: number; cost: number; advanceMs: number }
  | { kind: 'reset'; key: string; advanceMs: number };

const key = fc.constantFrom('a', 'b');
const advanceMs = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 25 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('limit' as const), key, cost: fc.integer({ min: 1, max: 4 }), advanceMs }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('peek' as const), key, advanceMs }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      admission: fc.nat(),
      cost: fc.integer({ min: 1, max: 3 }),
      advanceMs,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), key, advanceMs }) },
);
const burstsArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 6 });

/** The admissions of earlier bursts, with their key, to refund by decision. */
type Admissions = { key: string; decision: Decision }[];

/** Makes every op of `burst` in one tick; the decisions (undefined for refunds and resets) in op order. */
function fire(
  limiter: RateLimiter,
  burst: readonly Op[],
  admissions: Admissions,
  advance: (ms: number) => void,
): Promise<(Decision | undefined)[]> {
  return Promise.all(
    burst.map((op): Promise<Decision | undefined> => {
      advance(op.advanceMs);
      if (op.kind === 'limit') return limiter.limit(op.key, { cost: op.cost });
      if (op.kind === 'peek') return limiter.peek(op.key);
      if (op.kind === 'reset') return limiter.reset(op.key).then(() => undefined);
      const admission = admissions[op.admission % Math.max(1, admissions.length)];
      if (admission === undefined) return limiter.peek('a');
      return limiter.refund(admission.key, { cost: op.cost, decision: admission.decision }).then(() => undefined);
    }),
  );
}

for (const kind of CLIENT_KINDS) {
  test(`sliding log with ${kind}: a burst of admissions, refunds and resets decides like the same calls one by one`, async () => {
    const store = new RedisStore({ client: db.client(kind).client });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(burstsArb, async (bursts) => {
        const policy = slidingLog({ limit: 6, window: 40 });
        const prefix = `log-state-${kind}-${run++}`;
        let now = 1_900_000_000_000;
        const clock = (): number => now;
        const redis = new RateLimiter({
          policy,
          store,
          prefix,
          clock,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        const memory = new RateLimiter({ policy, store: new MemoryStore(), prefix, clock });
        const redisAdmissions: Admissions = [];
        const memoryAdmissions: Admissions = [];
        for (const burst of bursts) {
          const start = now;
          const actual = await fire(redis, burst, redisAdmissions, (ms) => (now += ms));
          now = start;
          const expected = await fire(memory, burst, memoryAdmissions, (ms) => (now += ms));
          assert.deepEqual(actual, expected, JSON.stringify(burst));
          burst.forEach((op, i) => {
            const [r, m] = [actual[i], expected[i]];
            if (op.kind === 'limit' && r?.allowed && m?.allowed) {
              redisAdmissions.push({ key: op.key, decision: r });
              memoryAdmissions.push({ key: op.key, decision: m });
            }
          });
          for (const k of ['a', 'b']) assert.deepEqual(await redis.peek(k), await memory.peek(k), `state of ${k}`);
          now += 5;
        }
      }),
      { numRuns: 30 },
    );
  });
}
