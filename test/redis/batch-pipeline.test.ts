/**
 * 64 callers on one hot key, answered together by one reply, re-entered
 * together and kept ONE script call in flight: client and Redis took turns
 * (issue 10). RedisStore now keeps two calls in flight: a burst made while
 * nothing is in flight goes as two calls (from 2 × MIN_SPLIT requests), and
 * a request made while fewer than two are in flight leaves at the end of its
 * job. What must not change: each decision exact and in program order (Redis
 * runs one connection's calls in order), a lone call never held back, and
 * the failure policy (a paused server, maxInFlight, a request that fails)
 * answering exactly the requests it did before.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Decision,
  fixedWindow,
  RateLimiter,
  type RateLimiterOptions,
  slidingLog,
  tokenBucket,
} from '../../src/index.js';
import { MIN_SPLIT } from '../../src/stores/redis/batch.js';
import { type RedisClientLike, RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster } from '../support/redis-clients.js';
import { clusterFixture, keySlot } from '../support/redis-cluster.js';
import { redisFixture } from '../support/redis-fixture.js';
import { scriptCalls } from '../support/script-calls.js';

const db = redisFixture();

/** The client methods flowgate sends its script calls through (ioredis `call` carries FCALL). */
const SCRIPT_METHODS = new Set(['call', 'evalsha', 'eval', 'evalSha', 'fCall']);

/** A real client seen through a window: how many script calls it was asked to send, and the most at once. */
interface Watched {
  client: RedisClientLike;
  issued: number;
  inFlight: number;
  maxInFlight: number;
}

function watch(client: RedisClientLike): Watched {
  const watched: Watched = { client, issued: 0, inFlight: 0, maxInFlight: 0 };
  const bound = new Map<PropertyKey, unknown>();
  watched.client = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (method === undefined) {
        const fn = value as (...args: unknown[]) => unknown;
        method = SCRIPT_METHODS.has(String(property))
          ? (...args: unknown[]) => {
              watched.issued++;
              watched.inFlight++;
              watched.maxInFlight = Math.max(watched.maxInFlight, watched.inFlight);
              const settle = (): void => {
                watched.inFlight--;
              };
              const reply = fn.apply(target, args) as Promise<unknown>;
              reply.then(settle, settle);
              return reply;
            }
          : fn.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  });
  return watched;
}

async function scriptCallsRun(): Promise<number> {
  return scriptCalls(await db.admin.info('commandstats'));
}

/** One turn of the event loop, with its I/O. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let run = 0;
function limiterOn(client: RedisClientLike, options: Partial<RateLimiterOptions> = {}): RateLimiter {
  return new RateLimiter({
    policy: tokenBucket({ capacity: 100, refillPerSecond: 1 / 3600 }),
    store: new RedisStore({ client }),
    prefix: `pipeline-${run++}`,
    onStoreError: 'throw',
    timeoutMs: Number.POSITIVE_INFINITY,
    ...options,
  });
}

for (const kind of CLIENT_KINDS) {
  describe(`RedisStore (${kind}): two script calls in flight on a hot key`, () => {
    test('a burst of 120 on one key made while idle: two calls in flight at once, decided in program order', async () => {
      const watched = watch(db.client(kind).client);
      const limiter = limiterOn(watched.client);
      await limiter.peek('warm');
      await db.admin.config('RESETSTAT');
      watched.maxInFlight = 0;
      const decisions = await Promise.all(Array.from({ length: 120 }, () => limiter.limit('hot')));
      // The first half ran before the second: the i-th call of the burst saw 99 - i left.
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.remaining]),
        Array.from({ length: 120 }, (_, i) => [i < 100, Math.max(0, 99 - i)]),
      );
      assert.equal(await scriptCallsRun(), 2);
      assert.equal(watched.maxInFlight, 2);
    });

    test(`a burst stays one call below 2 × MIN_SPLIT (${2 * MIN_SPLIT}) requests, and splits from it`, async () => {
      const limiter = limiterOn(db.client(kind).client);
      await limiter.peek('warm');
      for (const [size, calls] of [
        [2 * MIN_SPLIT - 1, 1],
        [2 * MIN_SPLIT, 2],
      ] as const) {
        await db.admin.config('RESETSTAT');
        const decisions = await Promise.all(Array.from({ length: size }, () => limiter.limit(`k${size}`)));
        assert.deepEqual(
          decisions.map((d) => d.remaining),
          Array.from({ length: size }, (_, i) => 99 - i),
        );
        assert.equal(await scriptCallsRun(), calls, `a burst of ${size}`);
      }
    });

    test('a lone call leaves at once, a second one too while the first is in flight; a third waits for the turn', async () => {
      const watched = watch(db.client(kind).client);
      const limiter = limiterOn(watched.client);
      await limiter.peek('warm');
      watched.issued = 0;
      // Paused for writes (which a script call is): the calls stay in flight until the test unpauses.
      await db.admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      let answers: Promise<Decision[]>;
      try {
        const first = limiter.limit('k');
        // Not a batch: sent within the job that made it, before any other callback of the loop.
        const seenAfterFirst = await new Promise<number>((resolve) => setImmediate(() => resolve(watched.issued)));
        const second = limiter.limit('k');
        const seenAfterSecond = await new Promise<number>((resolve) => setImmediate(() => resolve(watched.issued)));
        // Two in flight: these two gather for the turn and share one call.
        const third = limiter.limit('k');
        const fourth = limiter.limit('k');
        await nextTurn();
        await nextTurn();
        assert.deepEqual([seenAfterFirst, seenAfterSecond, watched.issued], [1, 2, 3]);
        answers = Promise.all([first, second, third, fourth]);
      } finally {
        await db.admin.call('CLIENT', 'UNPAUSE');
      }
      assert.deepEqual(
        (await answers).map((d) => d.remaining),
        [99, 98, 97, 96],
      );
    });

    test('64 callers in a closed loop on one key: every unit spent once, each caller in order, calls overlapping', async () => {
      const watched = watch(db.client(kind).client);
      // A fixed clock: nothing refills, so the units admitted are exactly the limit.
      const limit = 2000;
      const limiter = limiterOn(watched.client, {
        policy: fixedWindow({ limit, window: '1h' }),
        clock: () => 1_700_000_000_000,
      });
      watched.maxInFlight = 0;
      const seen: number[][] = [];
      const caller = async (): Promise<void> => {
        const mine: number[] = [];
        seen.push(mine);
        for (;;) {
          const decision = await limiter.limit('hot');
          if (!decision.allowed) return;
          mine.push(decision.remaining);
        }
      };
      await Promise.all(Array.from({ length: 64 }, caller));
      const all = seen.flat().sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: limit }, (_, i) => i),
      );
      for (const mine of seen)
        assert.ok(
          mine.every((r, i) => i === 0 || r < (mine[i - 1] as number)),
          String(mine),
        );
      assert.ok(watched.maxInFlight >= 2, `at most ${watched.maxInFlight} call(s) in flight`);
    });

    test('a burst split in two against a paused server: every request answered by the failure policy, nothing spent later', async () => {
      const limiter = limiterOn(db.client(kind).client, { onStoreError: 'deny', timeoutMs: 50, logger: false });
      await limiter.peek('warm');
      await db.admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      let decisions: Decision[];
      try {
        decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.limit('paused')));
      } finally {
        await db.admin.call('CLIENT', 'UNPAUSE');
      }
      assert.ok(decisions.every((d) => !d.allowed && d.degraded));
      // Both calls reach Redis after their deadline and commit nothing: the next call finds the bucket full.
      assert.equal((await limiter.limit('paused')).remaining, 99);
    });

    test('FUNCTION FLUSH under a split burst: both calls find no function, one load, both go again in order', async () => {
      const limiter = limiterOn(db.client(kind).client);
      await limiter.peek('warm');
      await db.admin.call('FUNCTION', 'FLUSH');
      const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.limit('flushed')));
      assert.deepEqual(
        decisions.map((d) => d.remaining),
        Array.from({ length: 40 }, (_, i) => 99 - i),
      );
      assert.equal((await limiter.limit('flushed')).remaining, 59);
    });

    test('maxInFlight counts the requests of both calls: the excess is refused at once, the rest decided in order', async () => {
      const limiter = new RateLimiter({
        policy: tokenBucket({ capacity: 100, refillPerSecond: 1 / 3600 }),
        store: new RedisStore({ client: db.client(kind).client, maxInFlight: 30 }),
        prefix: `pipeline-max-${kind}`,
        onStoreError: 'deny',
        timeoutMs: Number.POSITIVE_INFINITY,
        logger: false,
      });
      await limiter.peek('warm');
      const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.limit('k')));
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.degraded, d.remaining]),
        Array.from({ length: 40 }, (_, i) => (i < 30 ? [true, false, 99 - i] : [false, true, 0])),
      );
    });

    test("a request failing in the burst's second call fails alone: both calls' others decided and committed", async () => {
      await db.admin.hset(`{pipeline-fail-${kind}:victim}:sl:3600000`, 'field', 'value');
      const limiter = limiterOn(db.client(kind).client, {
        policy: slidingLog({ limit: 50, window: '1h' }),
        prefix: `pipeline-fail-${kind}`,
        logger: false,
      });
      await db.admin.config('RESETSTAT');
      const users = Array.from({ length: 40 }, (_, i) => (i === 30 ? 'victim' : 'user'));
      const settled = await Promise.allSettled(users.map((user) => limiter.limit(user)));
      assert.equal(await scriptCallsRun(), 2);
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? s.value.remaining : 'failed')),
        users.map((user, i) => (user === 'victim' ? 'failed' : 49 - (i > 30 ? i - 1 : i))),
      );
      // 39 units spent, once each: the next call leaves 10.
      assert.equal((await limiter.limit('user')).remaining, 10);
    });
  });
}

describe('RedisStore on a cluster: a hot key burst goes as two calls to its slot, spread keys one call per slot', () => {
  const cluster = clusterFixture();

  for (const kind of CLIENT_KINDS) {
    test(kind, async () => {
      const connection = await connectCluster(kind, cluster.ports);
      try {
        const watched = watch(connection.client);
        const prefix = `pipeline-cluster-${kind}`;
        const limiter = limiterOn(watched.client, { policy: fixedWindow({ limit: 100, window: '1h' }), prefix });
        await limiter.peek('warm');
        watched.issued = 0;
        const hot = await Promise.all(Array.from({ length: 120 }, () => limiter.limit('hot')));
        assert.deepEqual(
          hot.map((d) => d.remaining),
          Array.from({ length: 120 }, (_, i) => Math.max(0, 99 - i)),
        );
        assert.equal(watched.issued, 2);
        // Keys on different slots: one call per slot, none split (several calls are in flight already).
        watched.issued = 0;
        const keys = ['a', 'b', 'c', 'd'];
        const spread = await Promise.all(keys.flatMap((key) => Array.from({ length: 20 }, () => limiter.limit(key))));
        assert.deepEqual(
          spread.map((d) => d.remaining),
          keys.flatMap(() => Array.from({ length: 20 }, (_, i) => 99 - i)),
        );
        assert.equal(watched.issued, new Set(keys.map((key) => keySlot(`${prefix}:${key}`))).size);
      } finally {
        await connection.close();
      }
    });
  }
});
