/**
 * Attack, as a property: one entry anywhere in a sliding log's list replaced
 * by anything (text, NaN, a fraction, a number past 2^53, or whole numbers
 * out of order, which parse and are decided on), then a burst in one script
 * call of limits, peeks and refunds on that key and on clean ones. Whatever
 * the entry and whichever requests read it, the call never fails as a whole:
 * every request on a clean key decides exactly as on the memory store; one on
 * the bad key is decided or fails with the foreign-value error, and once one
 * has failed so does every later limit or peek on that key in the call; when
 * all of them failed, the list is left byte for byte as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Decision, MemoryStore, RateLimiter, StoreRequestError, slidingLog } from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { redisFixture } from '../support/redis-fixture.js';

const db = redisFixture();

const BASE = 1_900_000_000_000;
const WINDOW_MS = 1_000;

type Op =
  | { kind: 'limit'; key: string; cost: number }
  | { kind: 'peek'; key: string }
  | { kind: 'refund'; pick: number };

const keyArb = fc.constantFrom('a', 'b', 'bad');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('limit' as const), key: keyArb, cost: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('peek' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), pick: fc.nat() }) },
);
const garbageArb = fc.oneof(
  fc.constantFrom(
    'garbage',
    ':',
    'nan:1',
    '5:nan',
    'inf:1',
    '5:-1e999',
    '5:2.5',
    '0x10:1',
    '1e3:1',
    '99999999999999999999:1',
  ),
  // Whole numbers that parse: flowgate cannot tell them from its own, only decide on them.
  fc.tuple(fc.integer({ min: -5_000, max: 5_000 }), fc.nat({ max: 100 })).map(([t, c]) => `${BASE + t}:${c}`),
);

test('one foreign entry anywhere in a log: the call never fails, clean keys decide exactly', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 12 }),
      fc.nat(),
      garbageArb,
      fc.integer({ min: 0, max: 1_500 }),
      fc.array(opArb, { minLength: 1, maxLength: 16 }),
      async (gaps, where, garbage, laterMs, burst) => {
        const prefix = `never-${run++}`;
        let now = BASE;
        const options = { policy: slidingLog({ limit: 12, window: WINDOW_MS }), prefix, clock: () => now } as const;
        const redis = new RateLimiter({
          ...options,
          store: new RedisStore({ client: db.client('ioredis').client }),
          onStoreError: 'throw',
          logger: false,
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        const memory = new RateLimiter({ ...options, store: new MemoryStore() });
        // A history of one-unit admissions at distinct instants on every key.
        const admitted: Record<string, [Decision, Decision][]> = { a: [], b: [], bad: [] };
        for (const gap of gaps) {
          now += gap + 1;
          for (const key of ['a', 'b', 'bad']) {
            const r = await redis.limit(key);
            const m = await memory.limit(key);
            if (r.allowed && m.allowed) admitted[key]?.push([r, m]);
          }
        }
        const [bad] = await db.admin.keys(`{${prefix}:bad}*`);
        assert.ok(bad !== undefined);
        const length = await db.admin.llen(bad);
        // A middle entry: not the sentinel (0), the oldest entry (1) or the newest, which load checks.
        if (length < 4) return;
        await db.admin.lset(bad, 2 + (where % (length - 3)), garbage);
        const dumped = await db.admin.dump(bad);
        now += laterMs;
        const refunds = [
          ...(admitted.a ?? []).map((d) => ['a', d] as const),
          ...(admitted.b ?? []).map((d) => ['b', d] as const),
          ...(admitted.bad ?? []).map((d) => ['bad', d] as const),
        ];
        const fire = (limiter: RateLimiter, side: 0 | 1): Promise<PromiseSettledResult<Decision | undefined>[]> =>
          Promise.allSettled(
            burst.map((op): Promise<Decision | undefined> => {
              if (op.kind === 'limit') return limiter.limit(op.key, { cost: op.cost });
              if (op.kind === 'peek') return limiter.peek(op.key);
              const [key, pair] = refunds[op.pick % refunds.length] as (typeof refunds)[number];
              return limiter.refund(key, { decision: pair[side] }).then(() => undefined);
            }),
          );
        const actual = await fire(redis, 0);
        const expected = await fire(memory, 1);
        let failed = 0;
        let badOps = 0;
        burst.forEach((op, i) => {
          const key =
            op.kind === 'refund' ? (refunds[op.pick % refunds.length] as (typeof refunds)[number])[0] : op.key;
          const got = actual[i] as PromiseSettledResult<Decision | undefined>;
          if (key !== 'bad') {
            assert.deepEqual(got, expected[i], `request ${i} on ${key}`);
            return;
          }
          badOps++;
          if (got.status === 'rejected') {
            assert.ok(got.reason instanceof StoreRequestError, String(got.reason));
            assert.match(got.reason.message, /flowgate did not write/);
            failed++;
          } else if (op.kind !== 'refund') {
            // (A second refund of one admission is answered without a store call.)
            assert.equal(failed, 0, `request ${i} on the bad key decided after one failed`);
          }
        });
        if (badOps > 0 && failed === badOps) assert.deepEqual(await db.admin.dump(bad), dumped);
      },
    ),
    { numRuns: 150 },
  );
});
