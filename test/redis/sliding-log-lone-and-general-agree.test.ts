/**
 * Attack: on the server's TIME, one request on one limit goes to the lone
 * function (lua/lone.lua.ts, its own reply of three numbers for a plain
 * admission), anything else to the general call. They must decide a sliding
 * log alike, whatever the log holds: random logs (admissions of several
 * units, refunds, trims, the older layout without carried fields) are
 * copied to two keys, and the same admission is sent alone on one and in a
 * batch of two on the other. Every log lies ahead of the server's clock,
 * where both decide as at its newest entry's instant (a clock behind the
 * log): the verdict, remaining, instant and units spent are the same, and so
 * are the two lists after. (resetMs and retryAfterMs count from each call's
 * own server time, and are left out.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Decision, RateLimiter, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();
// 2039: ahead of any server clock this test runs on.
const AHEAD = 2_200_000_000_000;

type Step = { dt: number; op: 'limit' | 'refund'; cost: number };
const stepArb: fc.Arbitrary<Step> = fc.record({
  dt: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 400 })),
  op: fc.oneof({ weight: 3, arbitrary: fc.constant('limit' as const) }, fc.constant('refund' as const)),
  cost: fc.integer({ min: 1, max: 4 }),
});

const seen = (d: Decision) => [d.allowed, d.remaining, d.atMs, d.spent];

let runs = 0;

test('lone function and general call decide a sliding log alike, lists included', async () => {
  const client = db.client('ioredis').client;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(10, 100, 1000),
      fc.array(stepArb, { minLength: 1, maxLength: 25 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 12 }),
      async (limit, window, steps, legacy, cost) => {
        const prefix = `lone${runs++}`;
        const policy = slidingLog({ limit, window });
        let now = AHEAD;
        const common = { policy, prefix, onStoreError: 'throw', timeoutMs: Number.POSITIVE_INFINITY } as const;
        const store = new RedisStore({ client });
        const writer = new RateLimiter({ ...common, store, clock: () => now });
        for (const step of steps) {
          now += step.dt;
          if (step.op === 'limit') await writer.limit('w', { cost: Math.min(step.cost, limit) });
          else await writer.refund('w', { cost: Math.min(step.cost, limit) });
        }
        const [written] = await db.admin.keys(`{${prefix}:w}*`);
        if (written === undefined) return;
        if (legacy) {
          const elements = await db.admin.lrange(written, 0, -1);
          for (const [i, e] of elements.entries()) await db.admin.lset(written, i, e.split(':').slice(0, 2).join(':'));
        }
        // Two copies, named as the server-time limiter names keys 'a' and 'b'.
        const onServerTime = new RateLimiter({ ...common, store });
        await onServerTime.peek('a');
        const dumped = (await db.admin.dumpBuffer(written)) as Buffer;
        const keyOf = (k: string) => written.replace(`{${prefix}:w}`, `{${prefix}:${k}}`);
        for (const k of ['a', 'b']) await db.admin.restore(keyOf(k), 0, dumped, 'REPLACE');
        const c = Math.min(cost, limit);
        const alone = await onServerTime.limit('a', { cost: c });
        const [together] = await Promise.all([onServerTime.limit('b', { cost: c }), onServerTime.limit('other')]);
        assert.deepEqual(seen(alone), seen(together as Decision));
        assert.deepEqual(await db.admin.lrange(keyOf('a'), 0, -1), await db.admin.lrange(keyOf('b'), 0, -1));
      },
    ),
    { numRuns: Number(process.env.FG_PROPERTY_RUNS ?? 200) },
  );
});
