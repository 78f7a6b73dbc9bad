/**
 * Requests made in one tick share one script call. Each must still be decided
 * exactly as it would be alone, in the order made (a burst of 2 × MIN_SPLIT or
 * more made while idle goes as two calls, in order): random concurrent bursts
 * (several keys, peeks, costs, the clock moving between calls of one burst)
 * are compared with MemoryStore decision by decision, on both clients; the
 * burst really is two calls, not one per request; and on a cluster, where a script's keys must
 * share a slot, bursts over many keys still work.
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
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster } from '../support/redis-clients.js';
import { clusterFixture } from '../support/redis-cluster.js';
import { redisFixture } from '../support/redis-fixture.js';
import { scriptCalls } from '../support/script-calls.js';

const db = redisFixture();

const POLICIES: Record<string, () => Policy> = {
  fixedWindow: () => fixedWindow({ limit: 5, window: 50 }),
  slidingLog: () => slidingLog({ limit: 5, window: 50 }),
  slidingWindow: () => slidingWindow({ limit: 5, window: 50 }),
  tokenBucket: () => tokenBucket({ capacity: 5, refillPerSecond: 7000 / 30 }),
  leakyBucket: () => leakyBucket({ capacity: 5, leakPerSecond: 7000 / 30 }),
};

interface Call {
  key: string;
  /** 0: a peek. */
  cost: number;
  /** Clock advance (ms) before the call is made, within the burst. */
  advanceMs: number;
}

const callArb: fc.Arbitrary<Call> = fc.record({
  key: fc.constantFrom('a', 'b', 'c}{'),
  cost: fc.integer({ min: 0, max: 5 }),
  advanceMs: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) },
  ),
});
const burstsArb = fc.array(fc.array(callArb, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 });

/** Makes every call of `burst` in one tick; returns the decisions in call order. */
function fire(limiter: RateLimiter, burst: readonly Call[], advance: (ms: number) => void): Promise<Decision[]> {
  return Promise.all(
    burst.map((call) => {
      advance(call.advanceMs);
      return call.cost === 0 ? limiter.peek(call.key) : limiter.limit(call.key, { cost: call.cost });
    }),
  );
}

let run = 0;
for (const kind of CLIENT_KINDS) {
  describe(`RedisStore (${kind}): a burst in one tick decides like the same calls one by one`, () => {
    for (const [name, make] of Object.entries(POLICIES)) {
      test(name, async () => {
        const client = db.client(kind).client;
        const store = new RedisStore({ client });
        let checked = 0;
        await fc.assert(
          fc.asyncProperty(burstsArb, async (bursts) => {
            const policy = make();
            const prefix = `batch${run++}`;
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
            for (const burst of bursts) {
              const start = now;
              const actual = await fire(redis, burst, (ms) => (now += ms));
              now = start;
              const expected = await fire(memory, burst, (ms) => (now += ms));
              assert.deepEqual(actual, expected, JSON.stringify(burst));
              checked += burst.length;
              now += 7;
            }
          }),
          { numRuns: 25 },
        );
        assert.ok(checked > 100);
      });
    }

    // A burst made while the store is idle goes as two script calls (it was one): from 2 × MIN_SPLIT
    // requests the batch is split in program order, so that Redis runs the second half while the
    // client handles the first one's reply (test/redis/batch-pipeline.test.ts). Still one call per
    // half, however many requests: 120 requests, 2 calls.
    test('a burst made while idle is two script calls, one per half (FCALL, or EVALSHA where Functions are refused)', async () => {
      const client = db.client(kind).client;
      const limiter = new RateLimiter({
        policy: tokenBucket({ capacity: 100, refillPerSecond: 1 }),
        store: new RedisStore({ client }),
        prefix: `one-call-${kind}`,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      await limiter.peek('warm');
      await db.admin.config('RESETSTAT');
      const decisions = await Promise.all(Array.from({ length: 120 }, (_, i) => limiter.limit(`k${i % 7}`)));
      assert.equal(decisions.filter((d) => d.allowed).length, 120);
      const stats = await db.admin.info('commandstats');
      assert.equal(scriptCalls(stats), 2);
    });
  });
}

describe('RedisStore batches and failures', () => {
  test('on the server TIME, bursts of plain cost-1 limits and mixed bursts decide in order', async () => {
    for (const { client } of db.clients) {
      const limiter = new RateLimiter({
        policy: tokenBucket({ capacity: 10, refillPerSecond: 1 / 3600 }),
        store: new RedisStore({ client }),
        prefix: `mixed${run++}`,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      // Cost-1 limits only: sent without per-request arguments.
      const plain = await Promise.all([limiter.limit('k'), limiter.limit('k'), limiter.limit('j')]);
      assert.deepEqual(
        plain.map((d) => d.remaining),
        [9, 8, 9],
      );
      const mixed = await Promise.all([
        limiter.limit('k'),
        limiter.peek('k'),
        limiter.limit('k', { cost: 3 }),
        limiter.limit('j', { cost: 9 }),
        limiter.limit('k', { cost: 4 }),
        limiter.limit('k'),
      ]);
      assert.deepEqual(
        mixed.map((d) => [d.allowed, d.remaining]),
        [
          [true, 7],
          [true, 6],
          [true, 4],
          [true, 0],
          [true, 0],
          [false, 0],
        ],
      );
    }
  });

  test('a client that throws instead of rejecting fails the batch, not the process', async () => {
    const throwing = {
      evalsha: () => {
        throw new Error('The client is closed');
      },
      eval: () => {
        throw new Error('The client is closed');
      },
      del: async () => 1,
    };
    const store = new RedisStore({ client: throwing as never });
    const open = new RateLimiter({ policy: tokenBucket({ capacity: 5, refillPerSecond: 1 }), store });
    const decisions = await Promise.all([open.limit('a'), open.limit('b'), open.peek('a')]);
    assert.deepEqual(
      decisions.map((d) => [d.allowed, d.degraded]),
      [
        [true, true],
        [true, true],
        [true, true],
      ],
    );
    const strict = new RateLimiter({
      policy: tokenBucket({ capacity: 5, refillPerSecond: 1 }),
      store,
      onStoreError: 'throw',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    await assert.rejects(strict.limit('a'), /client is closed/);
  });
});

describe('RedisStore on a cluster: a burst over many keys (one script call per key)', () => {
  const cluster = clusterFixture();

  for (const kind of CLIENT_KINDS) {
    test(kind, async () => {
      const connection = await connectCluster(kind, cluster.ports);
      try {
        const limiter = new RateLimiter({
          policy: fixedWindow({ limit: 3, window: '1h' }),
          store: new RedisStore({ client: connection.client }),
          prefix: `burst-${kind}`,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        const keys = Array.from({ length: 40 }, (_, i) => `user:${i}`);
        const decisions = await Promise.all([...keys, ...keys, ...keys, ...keys].map((key) => limiter.limit(key)));
        assert.equal(decisions.filter((d) => d.allowed).length, 3 * keys.length);
        assert.deepEqual(
          decisions.slice(0, keys.length).map((d) => d.remaining),
          keys.map(() => 2),
        );
        assert.ok(decisions.slice(3 * keys.length).every((d) => !d.allowed && !d.degraded));
      } finally {
        await connection.close();
      }
    });
  }
});
