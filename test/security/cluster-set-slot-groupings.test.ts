/**
 * Attack: limit sets whose keys fall into ever new groupings of cluster
 * slots. On a Redis Cluster, a set whose keys span slots is reserved slot by
 * slot, one script call per group of limits that share a slot, and each
 * binding kept one batcher per group it had seen, by the group's limit
 * indexes, forever. A set of few limits has few groups (3 limits: 7), but a
 * `flowgate serve` request is a set of up to 64 limits whose keys the client
 * writes: choosing values by their hash slot, it can make every request
 * group its descriptors anew (2^64 groups), each kept. The batchers kept are
 * now bounded; past the bound a group's batcher serves its call alone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fixedWindow, RateLimiter } from '../../src/index.js';
import { MAX_KEPT_GROUPS } from '../../src/stores/redis/cluster-sets.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { connectCluster, type TestClient } from '../support/redis-clients.js';
import { keySlot, type RedisCluster, startCluster } from '../support/redis-cluster.js';

let cluster: RedisCluster;
let connection: TestClient;
before(async () => {
  cluster = await startCluster();
  connection = await connectCluster('ioredis', cluster.ports);
});
after(async () => {
  await connection.close();
  await cluster.stop();
});

const LIMITS = 8;

interface SetBinding {
  readonly whole: { redisKeys(keys: readonly string[]): string[] };
  readonly groups: Map<string, unknown>;
}

test(`${LIMITS} limits whose keys pair and triple up on new slots every request: at most ${MAX_KEPT_GROUPS} batchers kept`, async () => {
  const names = Array.from({ length: LIMITS }, (_, i) => `l${i}`);
  const limiter = new RateLimiter({
    limits: Object.fromEntries(names.map((name) => [name, fixedWindow({ limit: 1000, window: '1h' })])),
    store: new RedisStore({ client: connection.client }),
    prefix: 'slot-groupings',
    clock: () => 1_900_000_000_000,
  });
  const binding = (limiter as unknown as { gate: SetBinding }).gate;
  const slotOf = (i: number, key: string): number => {
    const keys = names.map(() => 'x');
    keys[i] = key;
    return keySlot(binding.whole.redisKeys(keys)[i] as string);
  };
  /** A key of limit `i` on `slot`, found by trying names (as a client choosing descriptor values would). */
  const keyOn = (i: number, slot: number, tag: string): string => {
    for (let n = 0; ; n++) if (slotOf(i, `${tag}-${n}`) === slot) return `${tag}-${n}`;
  };
  const together: number[][] = [];
  for (let a = 0; a < LIMITS; a++)
    for (let b = a + 1; b < LIMITS; b++) {
      together.push([a, b]);
      for (let c = b + 1; c < LIMITS; c++) together.push([a, b, c]);
    }
  for (const [r, group] of together.entries()) {
    const keys = names.map((_, i) => `r${r}-own-${i}`);
    const first = group[0] as number;
    const slot = slotOf(first, keys[first] as string);
    for (const i of group.slice(1)) keys[i] = keyOn(i, slot, `r${r}-with-${i}`);
    const decided = await limiter.limit(Object.fromEntries(names.map((name, i) => [name, keys[i] as string])));
    assert.equal(decided.allowed, true);
  }
  assert.ok(together.length > MAX_KEPT_GROUPS);
  assert.ok(
    binding.groups.size <= MAX_KEPT_GROUPS,
    `${binding.groups.size} batchers kept after ${together.length} groupings`,
  );
});
