/**
 * Limit sets on a real 3-master Redis Cluster, with keys on different slots
 * (no hashTag): reserved slot by slot, a denied set's reservations released.
 * Decisions equal MemoryStore's on a scripted sequence; a denied request
 * spends nothing in any limit; concurrent requests on overlapping sets admit
 * exactly what the binding limit allows, and never spend a user's quota for
 * a request the org limit denied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Decision,
  fixedWindow,
  MemoryStore,
  RateLimiter,
  type SetDecision,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster, type TestClient } from '../support/redis-clients.js';
import { clusterFixture, keySlot } from '../support/redis-cluster.js';

const cluster = clusterFixture();

const T0 = 1_900_000_000_000;
let prefixes = 0;

function limits() {
  return {
    user: tokenBucket({ capacity: 3, refillPerSecond: 1 / 60 }),
    org: slidingWindow({ limit: 5, window: '1h' }),
    log: slidingLog({ limit: 6, window: '1h' }),
    global: { policy: fixedWindow({ limit: 4, window: '1h' }), mode: 'shadow' as const },
  };
}

for (const kind of CLIENT_KINDS) {
  describe(`limit sets across slots with ${kind}`, () => {
    let connection: TestClient;
    before(async () => {
      connection = await connectCluster(kind, cluster.ports);
    });
    after(async () => {
      await connection.close();
    });

    test('decide like MemoryStore, spend nothing when denied, peek and refund across slots', async () => {
      const prefix = `sets${prefixes++}`;
      const keysOf = (user: string) => ({ user, org: 'acme', log: 'acme-log', global: 'all' });
      const slots = new Set(['u1', 'acme', 'acme-log', 'all'].map((k) => keySlot(`{${prefix}:${k}}`)));
      assert.ok(slots.size > 1, 'the keys span slots');
      let now = T0;
      const clock = () => now;
      const redis = new RateLimiter({
        limits: limits(),
        store: new RedisStore({ client: connection.client }),
        prefix,
        clock,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      const memory = new RateLimiter({ limits: limits(), store: new MemoryStore(), prefix, clock });
      const script: [string, number][] = [
        ['u1', 1],
        ['u1', 2],
        ['u1', 1], // user u1 denies: nothing spent anywhere
        ['u2', 1],
        ['u2', 1],
        ['u3', 1], // org denies
        ['u3', 2],
      ];
      for (const [i, [user, cost]] of script.entries()) {
        now += 1000;
        const expected = await memory.limit(keysOf(user), { cost });
        const actual = await redis.limit(keysOf(user), { cost });
        assert.deepEqual(actual, expected, `call ${i}: ${user} cost ${cost}`);
        assert.deepEqual(await redis.peek(keysOf('u4')), await memory.peek(keysOf('u4')), `peek after call ${i}`);
      }
      now += 1000;
      const denied = (await redis.limit(keysOf('u4'))) as SetDecision;
      assert.deepEqual(denied, await memory.limit(keysOf('u4')));
      assert.deepEqual(denied.violated, ['org']);
      // Nothing of u4 was spent: its user limit reports full capacity.
      assert.equal((await redis.peek(keysOf('u4'))).limits.user?.remaining, 3);
    });

    test('a refund across slots gives back each limit exactly what the admission spent', async () => {
      const prefix = `refund${prefixes++}`;
      let now = T0;
      const redis = new RateLimiter({
        limits: limits(),
        store: new RedisStore({ client: connection.client }),
        prefix,
        clock: () => now,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      const keys = { user: 'u7', org: 'acme', log: 'acme-log', global: 'all' };
      const before = await redis.peek(keys);
      const admitted = await redis.limit(keys, { cost: 2 });
      assert.equal(admitted.allowed, true);
      now += 10;
      await redis.refund(keys, { cost: 2, decision: admitted });
      const after = await redis.peek(keys);
      // As if it never happened (the token bucket's refill over 10 ms is below one unit).
      for (const name of ['user', 'org', 'log', 'global'] as const) {
        assert.equal(after.limits[name]?.remaining, before.limits[name]?.remaining, name);
      }
    });

    test('concurrent requests on overlapping sets: exactly the org limit, no user quota spent by a denial', async () => {
      const prefix = `race${prefixes++}`;
      const now = T0;
      const policies = {
        user: fixedWindow({ limit: 5, window: '1h' }),
        org: fixedWindow({ limit: 40, window: '1h' }),
      };
      const limiter = new RateLimiter({
        limits: policies,
        store: new RedisStore({ client: connection.client }),
        prefix,
        clock: () => now,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      const users = Array.from({ length: 30 }, (_, i) => `user${i}`);
      const decisions = await Promise.all(
        users.flatMap((user) => Array.from({ length: 4 }, () => limiter.limit({ user, org: 'acme' }))),
      );
      const admitted = decisions.filter((d: Decision) => d.allowed).length;
      assert.equal(admitted, 40, 'the org limit binds exactly');
      // Every user's count equals its own admissions: a denied request spent nothing of it.
      for (const [u, user] of users.entries()) {
        const mine = decisions.slice(u * 4, u * 4 + 4).filter((d) => d.allowed).length;
        assert.equal(
          ((await limiter.peek({ user, org: 'acme' })) as SetDecision).limits.user?.remaining,
          5 - mine,
          user,
        );
      }
    });
  });
}
