/**
 * Attack (the cluster side of lost-reply-not-decided-twice.test.ts): an
 * ioredis Cluster sends a command whose node connection closed again, to
 * another node, which redirects it (MOVED) to the master that already ran
 * it: the requests were decided twice. flowgate's guarded calls answer such
 * a call by the failure policy and let the Cluster's retry run nothing,
 * while the Cluster's legitimate second writes of a call (MOVED after a
 * slot moved, ASK during a migration), which no node ran, still decide it
 * exactly once.
 *
 * A real 3-master cluster; one master is reached through a TCP proxy
 * (ioredis `natMap`) that loses its replies and then the connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { fixedWindow, type RateLimiter } from '../../src/index.js';
import { LIBRARY } from '../../src/stores/redis/scripts.js';
import { clusterFixture, keySlot } from '../support/redis-cluster.js';
import { redisCli } from '../support/redis-server.js';
import { type ReplyDroppingProxy, startReplyDroppingProxy } from '../support/reply-dropping-proxy.js';
import { decisionFields, limiterTwins, sameAsMemory } from '../support/same-as-memory.js';
import { scriptCalls } from '../support/script-calls.js';
import { until } from '../support/until.js';

const cluster = clusterFixture();
const NOW = 1_800_000_000_000;
const POLICY = fixedWindow({ limit: 10, window: '1h' });

/** The Redis key of `key` under `prefix` for POLICY (see src/stores/redis/keys.ts). */
function redisKey(prefix: string, key: string): string {
  return `{${prefix}:${key}}:fw:3600000`;
}

function scriptCallsOn(port: number): number {
  return scriptCalls(redisCli(port, 'INFO', 'commandstats'));
}

function commandCalls(port: number, command: string): number {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(redisCli(port, 'INFO', 'commandstats'));
  return match === null ? 0 : Number(match[1]);
}

function limiters(client: Cluster, prefix: string): { redis: RateLimiter; memory: RateLimiter } {
  return limiterTwins(client, POLICY, NOW, prefix);
}

/** A key of `prefix` whose slot `port` serves, and that slot. */
function keyOn(prefix: string, port: number, skip: ReadonlySet<number> = new Set()): { key: string; slot: number } {
  for (let i = 0; ; i++) {
    const key = `k${i}`;
    const slot = keySlot(redisKey(prefix, key));
    if (cluster.masterOf(redisKey(prefix, key)) === port && !skip.has(slot)) return { key, slot };
  }
}

function loadLibraryEverywhere(): void {
  for (const port of cluster.ports) redisCli(port, 'FUNCTION', 'LOAD', 'REPLACE', LIBRARY.code);
}

describe('ioredis Cluster: redirections still decide once', () => {
  let client: Cluster;
  before(async () => {
    loadLibraryEverywhere();
    client = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { lazyConnect: true },
    );
    await client.connect();
  });
  after(() => {
    client.disconnect();
  });

  test('MOVED: a slot moved to another master after the client read the slots', async () => {
    const [source, target] = cluster.ports as [number, number];
    const { key, slot } = keyOn('moved', source);
    const { redis, memory } = limiters(client, 'moved');
    const targetId = redisCli(target, 'CLUSTER', 'MYID');
    // An empty slot: nothing to migrate. The client still believes `source` serves it.
    redisCli(target, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
    redisCli(source, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
    const before = scriptCallsOn(target);
    const decided = await redis.limit(key, { cost: 3 });
    assert.equal(decided.degraded, false);
    assert.equal(scriptCallsOn(target), before + 1, 'the redirected call ran once, on the new master');
    assert.deepEqual(decisionFields(decided), decisionFields(await memory.limit(key, { cost: 3 })));
    await sameAsMemory(redis, memory, key);
  });

  test('ASK: a slot being migrated, the key not on the source yet', async () => {
    const [source, target] = cluster.ports.slice(1) as [number, number];
    const { key, slot } = keyOn('ask', source);
    const { redis, memory } = limiters(client, 'ask');
    const [sourceId, targetId] = [redisCli(source, 'CLUSTER', 'MYID'), redisCli(target, 'CLUSTER', 'MYID')];
    redisCli(target, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
    redisCli(source, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
    try {
      const asked = commandCalls(target, 'asking');
      const before = scriptCallsOn(target);
      const decided = await redis.limit(key, { cost: 3 });
      assert.equal(decided.degraded, false);
      assert.equal(commandCalls(target, 'asking'), asked + 1, 'the call went through ASK');
      assert.equal(scriptCallsOn(target), before + 1, 'the asked call ran once, on the importing master');
      assert.deepEqual(decisionFields(decided), decisionFields(await memory.limit(key, { cost: 3 })));
    } finally {
      redisCli(target, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
      redisCli(source, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
    }
    await sameAsMemory(redis, memory, key);
  });
});

describe("ioredis Cluster: a master's connection dropped after it ran the call", () => {
  let client: Cluster;
  let proxy: ReplyDroppingProxy;
  let master: number;
  before(async () => {
    loadLibraryEverywhere();
    master = cluster.ports[2] as number;
    proxy = await startReplyDroppingProxy(master);
    client = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { lazyConnect: true, natMap: { [`127.0.0.1:${master}`]: { host: '127.0.0.1', port: proxy.port } } },
    );
    await client.connect();
  });
  after(async () => {
    client.disconnect();
    await proxy.close();
  });

  test('the Cluster sends the call again to another node: it runs nothing, the request is answered degraded', async () => {
    const { key } = keyOn('dropped', master);
    const { redis, memory } = limiters(client, 'dropped');
    // Through the proxy: the connection to `master` exists before the replies are lost.
    await redis.peek(key);
    const before = scriptCallsOn(master);
    const pings = (): number => cluster.ports.reduce((sum, port) => sum + commandCalls(port, 'ping'), 0);
    const pingsBefore = pings();
    proxy.swallowReplies();
    const pending = redis.limit(key, { cost: 3 });
    await until(() => scriptCallsOn(master) >= before + 1);
    proxy.cut();
    const decided = await pending;
    assert.equal(decided.degraded, true, `the lost call was answered as if decided: ${JSON.stringify(decided)}`);
    // The Cluster's retry (after retryDelayOnFailover) reaches some node: as a PING, or as the call itself.
    await until(() => pings() > pingsBefore || scriptCallsOn(master) > before + 1);
    assert.equal(scriptCallsOn(master), before + 1, 'the call the master had run was run again');
    await memory.limit(key, { cost: 3 });
    await sameAsMemory(redis, memory, key);
  });
});
