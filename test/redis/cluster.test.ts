/**
 * RedisStore on a real local Redis Cluster (3 masters) with both clients:
 * every policy decides exactly (the vectors), with no CROSSSLOT or MOVED
 * error, and a sharded hot key spreads over several masters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  fixedWindow,
  leakyBucket,
  type Policy,
  RateLimiter,
  slidingLog,
  slidingWindow,
  tokenBucket,
} from '../../src/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CLIENT_KINDS, connectCluster, type TestClient } from '../support/redis-clients.js';
import { clusterFixture, keySlot } from '../support/redis-cluster.js';
import { redisCli } from '../support/redis-server.js';
import { loadVectors, replayCase } from '../support/vectors.js';

const cluster = clusterFixture();

let prefixes = 0;

for (const kind of CLIENT_KINDS) {
  describe(`Redis Cluster with ${kind}`, () => {
    let connection: TestClient;
    before(async () => {
      connection = await connectCluster(kind, cluster.ports);
    });
    after(async () => {
      await connection.close();
    });

    test('replays every decision vector exactly', async () => {
      const store = new RedisStore({ client: connection.client });
      let replayed = 0;
      for (const { cases } of loadVectors()) {
        for (const c of cases) {
          const prefix = `vec${prefixes++}`;
          await replayCase(
            c,
            (policy, clock) =>
              new RateLimiter({
                policy,
                store,
                clock,
                prefix,
                onStoreError: 'throw',
                timeoutMs: Number.POSITIVE_INFINITY,
              }),
          );
          replayed++;
        }
      }
      assert.ok(replayed >= 10);
    });

    test('every policy on the server TIME, keys on every master', async () => {
      const store = new RedisStore({ client: connection.client });
      const policies: Policy[] = [
        fixedWindow({ limit: 2, window: '1h' }),
        slidingLog({ limit: 2, window: '1h' }),
        slidingWindow({ limit: 2, window: '1h' }),
        tokenBucket({ capacity: 2, refillPerSecond: 1 / 3600 }),
        leakyBucket({ capacity: 2, leakPerSecond: 1 / 3600 }),
      ];
      const masters = new Set<number>();
      for (const policy of policies) {
        const prefix = `time${prefixes++}`;
        const limiter = new RateLimiter({
          policy,
          store,
          prefix,
          onStoreError: 'throw',
          timeoutMs: Number.POSITIVE_INFINITY,
        });
        for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
          assert.equal((await limiter.limit(key, { cost: 2 })).allowed, true);
          assert.equal((await limiter.limit(key)).allowed, false, `${policy.algorithm} ${key}`);
          masters.add(cluster.masterOf(`{${prefix}:${key}}:x`));
          await limiter.reset(key);
          assert.equal((await limiter.peek(key)).remaining, 1);
        }
      }
      assert.equal(masters.size, 3);
    });

    test('a sharded hot key spreads over several masters and admits exactly its logical limit', async () => {
      const store = new RedisStore({ client: connection.client });
      const now = Date.now();
      const prefix = `hot${prefixes++}`;
      const shards = 7;
      // 601 over 7 shards: parts of 86 and 85, which must add up to exactly 601.
      const limiter = new RateLimiter({
        policy: fixedWindow({ limit: 601, window: '1h' }),
        store,
        prefix,
        shards,
        clock: () => now,
        onStoreError: 'throw',
        timeoutMs: Number.POSITIVE_INFINITY,
      });
      // Round-robin: 700 calls are 100 per shard, more than any part admits.
      const decisions = await Promise.all(Array.from({ length: 700 }, () => limiter.limit('hot')));
      assert.equal(decisions.filter((d) => d.allowed).length, 601);
      const masters = new Map<number, number>();
      for (let i = 0; i < shards; i++) {
        const port = cluster.masterOf(`{${prefix}%3Ashard${i}:hot}:fw:3600000`);
        masters.set(port, (masters.get(port) ?? 0) + 1);
      }
      assert.ok(masters.size > 1, `all ${shards} shards on one master`);
      const sample = `{${prefix}%3Ashard0:hot}:fw:3600000`;
      assert.equal(keySlot(sample), Number(redisCli(cluster.ports[0] as number, 'CLUSTER', 'KEYSLOT', sample)));
      const holding = cluster.ports.filter(
        (port) => Number(redisCli(port, 'EVAL', `return #redis.call('KEYS', '{${prefix}*')`, '0')) > 0,
      );
      assert.equal(holding.length, masters.size);
      // With a shard key, one caller always lands on the same shard.
      const first = await limiter.peek('hot', { shardKey: 'client-7' });
      const second = await limiter.peek('hot', { shardKey: 'client-7' });
      assert.deepEqual(first, second);
    });
  });
}
